"""UTC calendar periods with an injected clock: keys, boundaries, day and month rollovers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hooks.governance.backends.memory import MemoryBackend
from hooks.governance.budget import Refusal, Reservation
from hooks.governance.clock import ManualClock
from hooks.governance.periods import Period, period_end, period_key, period_start, seconds_until
from tests.governance.conftest import open_backend, run
from tests.governance.helpers import governor, moment, next_year

BIG_CALL = 18_000


@pytest.mark.parametrize(
    ("when", "day", "month", "day_end", "month_end"),
    [
        (datetime(2026, 11, 24, 23, 59, 59, tzinfo=UTC), "2026-11-24", "2026-11",
         datetime(2026, 11, 25, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
        (datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "2026-12-31", "2026-12",
         datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        (datetime(2028, 2, 28, 12, tzinfo=UTC), "2028-02-28", "2028-02",
         datetime(2028, 2, 29, tzinfo=UTC), datetime(2028, 3, 1, tzinfo=UTC)),
        # 01:30 in UTC+02:00 is still the previous UTC day.
        (datetime(2026, 12, 1, 1, 30, tzinfo=timezone(timedelta(hours=2))), "2026-11-30", "2026-11",
         datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_keys_and_boundaries(when: datetime, day: str, month: str, day_end: datetime, month_end: datetime) -> None:
    assert period_key(Period.DAY, when) == day
    assert period_key(Period.MONTH, when) == month
    assert period_end(Period.DAY, when) == day_end
    assert period_end(Period.MONTH, when) == month_end
    assert period_start(Period.DAY, when) <= when < period_end(Period.DAY, when)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        period_key(Period.DAY, datetime(2026, 1, 1))


def test_seconds_until_rounds_up_and_is_at_least_one() -> None:
    now = datetime(2026, 11, 24, 23, 59, 58, 500000, tzinfo=UTC)
    assert seconds_until(datetime(2026, 11, 25, tzinfo=UTC), now) == 2
    assert seconds_until(now, now) == 1


def test_daily_budget_exhausted_at_235959_is_available_at_midnight(backend_kind: str, url_for: str | None) -> None:
    clock = ManualClock(moment(11, 24, 23, 59, 59))

    async def main() -> tuple[Reservation | Refusal, Reservation | Refusal, dict[str, int], dict[str, int]]:
        async with open_backend(backend_kind, clock, url_for) as backend:
            gov = governor(backend, clock, daily_usd="0.02")
            first = await gov.reserve("a", "big", 1000, 1000)
            assert isinstance(first, Reservation)
            refused = await gov.reserve("a", "big", 1000, 1000)
            clock.set(moment(11, 25))
            admitted = await gov.reserve("a", "big", 1000, 1000)
            # The reservation from 23:59:59 settles into the day it was made in, not into the new one.
            await gov.settle(first, {"input_tokens": 1000, "output_tokens": 0})
            return refused, admitted, await gov.spent(now=moment(11, 24, 12)), await gov.spent()

    refused, admitted, yesterday, today = run(main())
    assert isinstance(refused, Refusal) and refused.retry_after == 1
    assert [(c.scope, c.period) for c in refused.blocked] == [("global", Period.DAY)]
    assert isinstance(admitted, Reservation)
    assert yesterday["global/day"] == 3000
    assert today["global/day"] == BIG_CALL
    assert today["global/month"] == 3000 + BIG_CALL  # same month: both calls


def test_monthly_budget_rolls_over_at_the_first_of_the_month(backend_kind: str, url_for: str | None) -> None:
    clock = ManualClock(moment(12, 31, 23, 59, 59))

    async def main() -> tuple[Reservation | Refusal, Reservation | Refusal]:
        async with open_backend(backend_kind, clock, url_for) as backend:
            gov = governor(backend, clock, daily_usd="10", monthly_usd="0.02")
            assert isinstance(await gov.reserve("a", "big", 1000, 1000), Reservation)
            refused = await gov.reserve("a", "big", 1000, 1000)
            clock.advance(1)
            return refused, await gov.reserve("a", "big", 1000, 1000)

    refused, admitted = run(main())
    assert isinstance(refused, Refusal) and refused.retry_after == 1
    assert [c.period for c in refused.blocked] == [Period.MONTH]
    assert isinstance(admitted, Reservation)
    new_year = next_year() + 1
    assert admitted.counters[0].period_key in {f"{new_year}-01-01", f"{new_year}-01"}


def test_retry_after_waits_for_the_latest_blocking_boundary() -> None:
    clock = ManualClock(moment(11, 30, 18))

    async def main() -> Reservation | Refusal:
        gov = governor(MemoryBackend(clock), clock, daily_usd="0.02", monthly_usd="0.02")
        await gov.reserve("a", "big", 1000, 1000)
        return await gov.reserve("a", "big", 1000, 1000)

    refused = run(main())
    assert isinstance(refused, Refusal)
    assert {c.period for c in refused.blocked} == {Period.DAY, Period.MONTH}
    assert refused.retry_after == 6 * 3600  # both end at 1 December, 00:00Z


def test_retry_after_for_the_monthly_budget_mid_month() -> None:
    clock = ManualClock(moment(11, 24, 12))

    async def main() -> Reservation | Refusal:
        gov = governor(MemoryBackend(clock), clock, daily_usd="10", monthly_usd="0.02")
        await gov.reserve("a", "big", 1000, 1000)
        return await gov.reserve("a", "big", 1000, 1000)

    refused = run(main())
    assert isinstance(refused, Refusal)
    assert refused.retry_after == int((moment(12, 1) - clock.now()).total_seconds())
