"""Entry script of the frozen isoplay executable (PyInstaller analyses this file)."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
