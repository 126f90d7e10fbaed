"""In-process backend: rate-limit windows and budget counters in this process's memory.

Correct for one process (one replica, one worker). With several processes each one counts on its own: the
effective limits become ``limit x workers x replicas``. Use the Redis backend there.

Each operation runs under one ``threading.Lock`` with no ``await`` inside, so it is atomic for asyncio tasks and
threads alike. State is lost on restart.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from hooks.governance.budget import Counter, ReserveResult, SettleResult
from hooks.governance.clock import Clock, SystemClock, epoch_ms
from hooks.governance.rate_limit import AcquireResult, LimitSpec, WindowState

SWEEP_EVERY = 10_000


@dataclass
class _Reservation:
    amount: int
    expires_at: float  # monotonic seconds


class MemoryBackend:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}
        self._counters: dict[str, tuple[int, int]] = {}  # key -> (micro-USD, expire at epoch ms)
        self._reservations: dict[str, _Reservation] = {}
        self._claims: dict[str, int] = {}
        self._ops = 0

    # -- rate limits ------------------------------------------------------------------------------------

    async def acquire(self, specs: Sequence[LimitSpec], request_id: str) -> AcquireResult:  # noqa: ARG002 (log entries need no id)
        with self._lock:
            now = self._clock.monotonic()
            self._maybe_sweep(now)
            logs = []
            for spec in specs:
                log = self._windows.setdefault(spec.key, deque())
                horizon = now - spec.window_ms / 1000
                while log and log[0] <= horizon:
                    log.popleft()
                logs.append(log)
            admitted = all(len(log) < spec.limit for log, spec in zip(logs, specs, strict=True))
            states = []
            for log, spec in zip(logs, specs, strict=True):
                if admitted:
                    log.append(now)
                reset = round((log[0] + spec.window_ms / 1000 - now) * 1000) if log else 0
                states.append(WindowState(spec.name, spec.limit, spec.window_ms, len(log), reset))
            return AcquireResult(admitted, tuple(states))

    # -- budgets ----------------------------------------------------------------------------------------

    async def reserve(
        self, counters: Sequence[Counter], amount: int, reservation_key: str, ttl_ms: int
    ) -> ReserveResult:
        with self._lock:
            self._expire_reservations()
            values = [self._value(c.key) for c in counters]
            if reservation_key in self._reservations:
                return ReserveResult(False, tuple(values), tuple(False for _ in counters), duplicate=True)
            blocked = tuple(v + amount > c.limit for v, c in zip(values, counters, strict=True))
            if any(blocked):
                return ReserveResult(False, tuple(values), blocked)
            for c in counters:
                self._counters[c.key] = (self._value(c.key) + amount, c.expire_at_ms)
            self._reservations[reservation_key] = _Reservation(amount, self._clock.monotonic() + ttl_ms / 1000)
            return ReserveResult(True, tuple(self._value(c.key) for c in counters), blocked)

    async def settle(self, reservation_key: str, counters: Sequence[Counter], actual: int) -> SettleResult:
        with self._lock:
            self._expire_reservations()
            held = self._reservations.pop(reservation_key, None)
            if held is None:
                return SettleResult(False, 0, tuple(self._value(c.key) for c in counters))
            delta = actual - held.amount
            for c in counters:
                self._counters[c.key] = (self._value(c.key) + delta, c.expire_at_ms)
            return SettleResult(True, held.amount, tuple(self._value(c.key) for c in counters))

    async def claim_once(self, key: str, expire_at_ms: int) -> bool:
        with self._lock:
            now_ms = epoch_ms(self._clock.now())
            if key in self._claims and self._claims[key] > now_ms:
                return False
            self._claims[key] = expire_at_ms
            return True

    async def read(self, keys: Sequence[str]) -> tuple[int, ...]:
        with self._lock:
            return tuple(self._value(k) for k in keys)

    # -- housekeeping (under the lock) ----------------------------------------------------------------

    def _value(self, key: str) -> int:
        entry = self._counters.get(key)
        return entry[0] if entry is not None else 0

    def _expire_reservations(self) -> None:
        # An expired reservation keeps its amount charged; only its bookkeeping goes.
        # Insertion order is expiry order for one TTL; stop at the first live one (O(expired), not O(all)).
        now = self._clock.monotonic()
        while self._reservations:
            key = next(iter(self._reservations))
            if self._reservations[key].expires_at > now:
                break
            del self._reservations[key]

    def _maybe_sweep(self, now: float) -> None:
        self._ops += 1
        if self._ops % SWEEP_EVERY:
            return
        for key in [k for k, log in self._windows.items() if not log or log[-1] <= now - 3600]:
            del self._windows[key]
        now_ms = epoch_ms(self._clock.now())
        for key in [k for k, (_, exp) in self._counters.items() if exp <= now_ms]:
            del self._counters[key]
        for key in [k for k, exp in self._claims.items() if exp <= now_ms]:
            del self._claims[key]
