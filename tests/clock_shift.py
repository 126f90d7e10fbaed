"""Run the whole pytest session with the wall clock moved: ``--clock-shift-days=N`` (or ``BSH_CLOCK_SHIFT_DAYS``).

No test may depend on the date it runs. ``.ci/run`` proves it by running the date-sensitive suites again with the
clock moved far ahead and back. ``time-machine`` moves Python's wall clock (``time.time``, ``datetime.now``, ...)
for the session and keeps it ticking; the monotonic clock, which timeouts and latencies use, is left alone.
Servers the tests start (Redis, rsyslog) keep the machine's real clock, as a remote SIEM would.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

ENV = "BSH_CLOCK_SHIFT_DAYS"
_STASH = pytest.StashKey[time_machine.travel]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-shift-days",
        type=int,
        default=None,
        help=f"move the wall clock this many days for the whole session (negative: back); env {ENV}",
    )


def shift_days(config: pytest.Config) -> int:
    option = config.getoption("--clock-shift-days")
    if option is not None:
        return int(option)
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(f"{ENV}={raw!r} is not a whole number of days, e.g. 400 or -20") from None


def pytest_configure(config: pytest.Config) -> None:
    days = shift_days(config)
    if days == 0:
        return
    traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True)
    traveller.start()
    config.stash[_STASH] = traveller


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_STASH, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    days = shift_days(config)
    if days == 0:
        return None
    return f"clock shifted {days:+d} days: wall clock now {datetime.now(UTC).isoformat(timespec='seconds')}"
