"""Demo: ``python -m app.panels.kv DIR`` shows this panel on the project at DIR (default: .)."""

import sys

from app.panels.kv import create_kv_panel
from app.panels.demo import run_panel_demo

if __name__ == "__main__":
    sys.exit(run_panel_demo(create_kv_panel, lambda p: (p.widget,)))
