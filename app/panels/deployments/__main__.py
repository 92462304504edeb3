"""``python -m app.panels.deployments``: the widget demo."""

import sys

from app.panels.deployments.widget import demo

sys.exit(demo())
