"""UTC calendar periods: the keys budget counters are stored under, and when each period ends.

A counter belongs to one period (``2026-11-24`` or ``2026-11``), so a new period starts from zero by itself:
there is no reset job to fail, run early or be missed by another replica.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import StrEnum


class Period(StrEnum):
    DAY = "day"
    MONTH = "month"


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("calendar periods need a timezone-aware time")
    return when.astimezone(UTC)


def period_key(period: Period, when: datetime) -> str:
    """``YYYY-MM-DD`` for a day, ``YYYY-MM`` for a month, in UTC."""
    t = _utc(when)
    return f"{t:%Y-%m-%d}" if period is Period.DAY else f"{t:%Y-%m}"


def period_start(period: Period, when: datetime) -> datetime:
    t = _utc(when)
    if period is Period.DAY:
        return datetime(t.year, t.month, t.day, tzinfo=UTC)
    return datetime(t.year, t.month, 1, tzinfo=UTC)


def period_end(period: Period, when: datetime) -> datetime:
    """The first instant of the next period (exclusive end of this one)."""
    t = _utc(when)
    if period is Period.DAY:
        start = datetime(t.year, t.month, t.day, tzinfo=UTC)
        return datetime.fromordinal(start.toordinal() + 1).replace(tzinfo=UTC)
    if t.month == 12:
        return datetime(t.year + 1, 1, 1, tzinfo=UTC)
    return datetime(t.year, t.month + 1, 1, tzinfo=UTC)


def seconds_until(boundary: datetime, now: datetime) -> int:
    """Whole seconds from ``now`` to ``boundary``, rounded up, at least 1 (a ``Retry-After`` value)."""
    return max(1, math.ceil((_utc(boundary) - _utc(now)).total_seconds()))
