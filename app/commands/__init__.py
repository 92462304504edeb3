"""Subcommands of the isoplay CLI, one module each (see app/cli.py)."""
