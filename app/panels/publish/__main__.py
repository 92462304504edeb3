"""``python -m app.panels.publish``: the widget demo."""

import sys

from app.panels.publish.widget import demo

sys.exit(demo())
