"""Simulator panel: HTTP requests (history, saved, curl), cron, events and one-off runs."""
