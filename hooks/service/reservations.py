"""Open LLM reservations between ``/v1/llm/admit`` and ``/v1/llm/settle``: in process, or in Redis (any replica).

A reservation is taken at most once (``take`` removes it), so a call is settled once. In Redis it is a JSON value
that expires with the governor's ``reservation_ttl_seconds`` (the governor's own bookkeeping expires then too, and
the amount stays charged: an unsettled call is never free).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import datetime
from typing import Any, Protocol

from redis.asyncio import Redis

from hooks.governance.budget import Counter, Reservation
from hooks.governance.periods import Period


class ReservationStore(Protocol):
    async def keep(self, reservation: Reservation) -> None: ...

    async def take(self, reservation_id: str) -> Reservation | None:
        """The reservation, removed; None when unknown, taken already or expired."""
        ...

    async def aclose(self) -> None: ...


def reservation_to_json(reservation: Reservation) -> str:
    return json.dumps({
        "id": reservation.id, "user_id": reservation.user_id, "model": reservation.model,
        "amount": reservation.amount, "key": reservation.key,
        "counters": [[c.scope, c.period.value, c.period_key, c.key, c.limit, c.ends_at.isoformat()]
                     for c in reservation.counters],
    })  # fmt: skip


def reservation_from_json(text: str) -> Reservation:
    doc: dict[str, Any] = json.loads(text)
    counters = tuple(
        Counter(scope, Period(period), period_key, key, int(limit), datetime.fromisoformat(ends_at))
        for scope, period, period_key, key, limit, ends_at in doc["counters"]
    )
    return Reservation(doc["id"], doc["user_id"], doc["model"], int(doc["amount"]), counters, doc["key"])


class MemoryReservations:
    """One replica: settle on the replica that admitted. The oldest are forgotten past ``kept`` (still charged)."""

    def __init__(self, kept: int = 100_000) -> None:
        self._kept = kept
        self._open: OrderedDict[str, Reservation] = OrderedDict()

    async def keep(self, reservation: Reservation) -> None:
        self._open[reservation.id] = reservation
        while len(self._open) > self._kept:
            self._open.popitem(last=False)

    async def take(self, reservation_id: str) -> Reservation | None:
        return self._open.pop(reservation_id, None)

    async def aclose(self) -> None:
        return None


class RedisReservations:
    """Every replica: admit on one, settle on another."""

    def __init__(self, url: str, *, prefix: str, ttl_seconds: int) -> None:
        self._redis: Redis = Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._prefix = prefix
        self._ttl_ms = ttl_seconds * 1000

    def _key(self, reservation_id: str) -> str:
        return f"{{{self._prefix}}}:svc-resv:{reservation_id}"

    async def keep(self, reservation: Reservation) -> None:
        await self._redis.set(self._key(reservation.id), reservation_to_json(reservation), px=self._ttl_ms)

    async def take(self, reservation_id: str) -> Reservation | None:
        raw = await self._redis.getdel(self._key(reservation_id))
        if raw is None:
            return None
        return reservation_from_json(raw.decode() if isinstance(raw, bytes) else str(raw))

    async def aclose(self) -> None:
        await self._redis.aclose()
