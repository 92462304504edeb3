"""PyInstaller runtime hook: make the frozen isoplay self-contained.

Runs before ``app.cli.main``:

- points ``ISOPLAY_TOOLCHAIN_DIR`` at the bundled esbuild / TypeScript 7
  toolchain (``<bundle>/toolchain/node_modules``) unless the user set it, so no
  npm install (and no network) is ever needed;
- emulates ``python -m <module>`` for the few modules isoplay starts as worker
  subprocesses with ``sys.executable -m ...`` (the debugger's worker), since in
  a frozen app ``sys.executable`` is the isoplay executable itself.
"""

import os
import sys

_BUNDLE = getattr(sys, "_MEIPASS", os.path.dirname(os.path.abspath(sys.executable)))
_TOOLCHAIN = os.path.join(_BUNDLE, "toolchain")
_RUNNABLE_MODULES = {"debugger.worker"}

if not os.environ.get("ISOPLAY_TOOLCHAIN_DIR") and os.path.isdir(os.path.join(_TOOLCHAIN, "node_modules")):
    os.environ["ISOPLAY_TOOLCHAIN_DIR"] = _TOOLCHAIN

if len(sys.argv) >= 3 and sys.argv[1] == "-m" and sys.argv[2] in _RUNNABLE_MODULES:
    import runpy

    _module = sys.argv[2]
    sys.argv = [_module, *sys.argv[3:]]
    runpy.run_module(_module, run_name="__main__", alter_sys=True)
    sys.exit(0)
