"""Demo: ``python -m app.panels.heap DIR`` shows this panel on the project at DIR (default: .)."""

import sys

from app.panels.heap import create_heap_panel
from app.panels.demo import run_panel_demo

if __name__ == "__main__":
    sys.exit(run_panel_demo(create_heap_panel, lambda p: (p.widget,)))
