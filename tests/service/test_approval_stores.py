"""The approval store contract, for the in-process and the Redis store alike, on an injected clock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from hooks.guardrails.approvals import ApprovalRequest, UnknownApprovalError
from hooks.service.approvals import ApprovalStoreAPI, MemoryApprovalStore, NotPendingError, may_decide
from tests.governance.conftest import RedisServer

T = TypeVar("T")


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 30))


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.server)])
def kind(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "memory":
        yield "memory", None
        return
    server = RedisServer(tmp_path)
    server.start()
    yield "redis", server.url
    server.stop()


@contextlib.asynccontextmanager
async def store(kind: Any, clock: Clock) -> AsyncIterator[ApprovalStoreAPI]:
    name, url = kind
    if name == "memory":
        yield MemoryApprovalStore(clock)
        return
    from hooks.service.approvals_redis import RedisApprovalStore

    redis_store = RedisApprovalStore.from_url(url, prefix="t", clock=clock, poll_interval=0.01)
    try:
        yield redis_store
    finally:
        await redis_store.aclose()


async def _submit(s: ApprovalStoreAPI, amount: int = 1, ttl: float = 60) -> ApprovalRequest:
    return await s.submit(tool="pay", tool_input={"amount": amount}, requester="u1", conversation_id="c",
                          reason="high risk", risk="high", ttl_seconds=ttl)  # fmt: skip


def test_decide_once_and_read_back(kind: Any) -> None:
    clock = Clock()

    async def scenario() -> None:
        async with store(kind, clock) as s:
            request = await _submit(s)
            assert [r.id for r in await s.pending()] == [request.id]
            decided = await s.decide(request.id, approved=False, by="alice", comment="no")
            assert (decided.status, decided.decided_by, decided.comment) == ("denied", "alice", "no")
            with pytest.raises(NotPendingError):
                await s.decide(request.id, approved=True, by="bob", comment=None)
            assert (await s.get(request.id)).status == "denied"
            assert await s.pending() == []
            assert (await s.wait(request.id)).status == "denied"
            with pytest.raises(UnknownApprovalError):
                await s.get("nope")
            assert await s.ready()

    run(scenario())


def test_expiry_is_final_and_cannot_be_approved(kind: Any) -> None:
    clock = Clock()

    async def scenario() -> None:
        async with store(kind, clock) as s:
            request = await _submit(s, ttl=30)
            clock.advance(31)
            assert (await s.get(request.id)).status == "expired"
            with pytest.raises(NotPendingError):
                await s.decide(request.id, approved=True, by="alice", comment=None)
            assert (await s.wait(request.id)).status == "expired"
            assert await s.pending() == []

    run(scenario())


def test_the_same_call_reattaches_until_its_approval_is_used(kind: Any) -> None:
    clock = Clock()

    async def scenario() -> None:
        async with store(kind, clock) as s:
            first = await _submit(s)
            assert (await _submit(s)).id == first.id  # pending: the same request
            assert (await _submit(s, amount=2)).id != first.id  # another input: another request
            await s.decide(first.id, approved=True, by="alice", comment=None)
            assert (await _submit(s)).id == first.id  # approved, nobody used it yet
            assert (await s.wait(first.id)).status == "approved"  # used now
            assert (await _submit(s)).id != first.id  # used: a new request

    run(scenario())


def test_a_waiter_wakes_on_the_decision(kind: Any) -> None:
    clock = Clock()

    async def scenario() -> None:
        async with store(kind, clock) as s:
            request = await _submit(s)
            waiter = asyncio.create_task(s.wait(request.id))
            await asyncio.sleep(0.05)
            assert not waiter.done()
            await s.decide(request.id, approved=True, by="alice", comment="fine")
            decided = await asyncio.wait_for(waiter, 5)
            assert (decided.status, decided.comment) == ("approved", "fine")

    run(scenario())


def test_no_self_approval_rule() -> None:
    request = ApprovalRequest("a", "t", {}, "carol", "c", "r", "high", datetime.now(UTC), datetime.now(UTC))
    assert may_decide(request, "carol") is not None
    assert may_decide(request, "bob") is None
