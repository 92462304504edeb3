"""Workers-project tools in the IDE: the wrangler environment selector and the "Install dependencies" offer.

``widget.WorkersBar`` is a toolbar (its own row, shown only when it has something to offer);
``controller.DependencyInstaller`` runs ``npm install`` (the npm that ships with isoplay) as a
child process, streaming its output; ``app/workers.py`` wires both into the window.
"""
