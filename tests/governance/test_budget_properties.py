"""Properties of the in-process budget backend under arbitrary operation sequences and real threads."""

from __future__ import annotations

import asyncio
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.governance.backends.memory import MemoryBackend
from hooks.governance.budget import Reservation
from hooks.governance.clock import ManualClock
from tests.governance.conftest import run, start
from tests.governance.helpers import governor

LIMIT = 100_000  # $0.10

ops = st.lists(
    st.one_of(
        st.tuples(st.just("reserve"), st.integers(0, 5000), st.integers(0, 5000)),
        st.tuples(st.just("settle"), st.integers(0, 40), st.integers(0, 8000)),
        st.tuples(st.just("abort"), st.integers(0, 40), st.just(0)),
        st.tuples(st.just("release"), st.integers(0, 40), st.just(0)),
        st.tuples(st.just("wait"), st.integers(0, 120), st.just(0)),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(ops)
def test_spend_is_always_the_sum_of_what_each_call_owes(sequence: list[tuple[str, int, int]]) -> None:
    """Counter == sum over calls of (reservation while open or expired, the charge once settled).

    And admission never takes the counter past the limit: only a usage above its reservation can.
    """

    async def main() -> None:
        clock = ManualClock(start())
        gov = governor(MemoryBackend(clock), clock, daily_usd="0.1", reservation_ttl_seconds=60)
        open_: list[Reservation] = []
        owed: dict[str, int] = {}
        over_reservation = 0
        for op, a, b in sequence:
            if op == "reserve":
                res = await gov.reserve("u", "small", a, b)  # 0.25 / 1.25 micro-USD per token
                if isinstance(res, Reservation):
                    open_.append(res)
                    owed[res.id] = res.amount
            elif op == "wait":
                clock.advance(a)
            elif open_:
                res = open_.pop(a % len(open_))
                if op == "settle":
                    s = await gov.settle(res, {"input_tokens": 0, "output_tokens": b})
                elif op == "abort":
                    s = await gov.abort(res)
                else:
                    s = await gov.release(res)
                if s.applied:
                    owed[res.id] = s.charged
                    over_reservation += max(0, s.charged - res.amount)
            spent = (await gov.spent())["global/day"]
            assert spent == sum(owed.values())
            assert spent <= LIMIT + over_reservation

    run(main())


def test_threads_with_their_own_event_loops_share_one_budget() -> None:
    clock = ManualClock(start())
    gov = governor(MemoryBackend(clock), clock, daily_usd="1")
    admitted: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        async def burst() -> int:
            results = await asyncio.gather(*(gov.reserve("t", "big", 1000, 1000) for _ in range(20)))
            return sum(isinstance(r, Reservation) for r in results)

        count = asyncio.run(burst())
        with lock:
            admitted.append(count)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(admitted) == 55  # $1 / $0.018, across 10 threads x 20 calls
