"""Cron expressions: validation and next-fire computation (croniter)."""

from __future__ import annotations

from datetime import datetime, timezone

from croniter import croniter

from runtime.errors import CronSyntaxError


def validate_cron(expr: str, *, source: str = "cron") -> None:
    """Raise CronSyntaxError unless ``expr`` is a valid 5-field cron expression."""
    fields = expr.split()
    if len(fields) != 5:
        raise CronSyntaxError(f"{source}: {expr!r} must have 5 fields (minute hour day month weekday), has {len(fields)}")
    if not croniter.is_valid(expr):
        raise CronSyntaxError(f"{source}: {expr!r} is not a valid cron expression")


def next_fire(expr: str, after: float) -> float:
    """The first time (epoch seconds, UTC) strictly after ``after`` when ``expr`` fires."""
    validate_cron(expr)
    start = datetime.fromtimestamp(after, tz=timezone.utc)
    return float(croniter(expr, start).get_next(float))
