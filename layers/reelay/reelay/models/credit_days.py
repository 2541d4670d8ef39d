"""Budget days: a tenant's daily credit budget counts from midnight UTC to midnight UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def utc_day(moment: datetime) -> date:
    """The UTC day `moment` falls on; a naive datetime is taken to be UTC already (as in the table)."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(UTC).date()


def day_ends_at(day: date) -> datetime:
    """When the next day's budget starts."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
