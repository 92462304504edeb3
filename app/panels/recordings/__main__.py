"""``python -m app.panels.recordings``: the widget demo."""

import sys

from app.panels.recordings.widget import demo

sys.exit(demo())
