"""Demo: ``python -m app.panels.testing DIR`` shows the Testing panel on the project at DIR (default: .)."""

import sys

from app.panels.demo import run_panel_demo
from app.panels.testing import create_testing_panel

if __name__ == "__main__":
    sys.exit(run_panel_demo(create_testing_panel, lambda p: (p.widget,)))
