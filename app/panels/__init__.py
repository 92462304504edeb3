"""Feature panels: each is ``app/panels/<feature>/{widget.py, controller.py, __init__.py}``.

``widget.py`` holds layout and signals only; ``controller.py`` owns the state
and the work and is tested with a fake view. Panels never reach into each
other: ``app/main.py`` connects them.
"""
