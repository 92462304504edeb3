"""Demo: ``python -m app.panels.profiler DIR`` shows this panel on the project at DIR (default: .)."""

import sys

from app.panels.profiler import create_profiler_panel
from app.panels.demo import run_panel_demo

if __name__ == "__main__":
    sys.exit(run_panel_demo(create_profiler_panel, lambda p: (p.charts, p.load_form)))
