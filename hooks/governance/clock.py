"""Time sources for the governor: wall clock (UTC, for calendar periods and headers) and a monotonic clock.

Everything that reads time takes a ``Clock``; tests inject ``ManualClock`` and never sleep or read the real time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current wall-clock time, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes back (in-process windows)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to (both readings advance together)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._monotonic = 1_000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds

    def set(self, when: datetime) -> None:
        """Jump the wall clock forward to ``when`` (the monotonic reading follows)."""
        target = when.astimezone(UTC)
        self.advance((target - self._now).total_seconds())


def epoch_ms(when: datetime) -> int:
    """Milliseconds since the Unix epoch (the unit Redis keys and windows use)."""
    return int(when.timestamp() * 1000)
