"""``python -m app`` runs the isoplay command line."""

import sys

from app.cli import main

sys.exit(main())
