"""Human-in-the-loop approvals: an in-process store of requests that a person approves or denies.

A request is held until decided; an undecided request expires, and expiry means deny. The chain talks to a store
through :class:`ApprovalBackend` (``submit`` and ``wait``, both async), so a shared store (the hooks service's
Redis store) can stand in for this one; the HTTP API lets a person decide (``hooks.service``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from hooks.types import utc_now

Status = Literal["pending", "approved", "denied", "expired"]


@dataclass(frozen=True)
class ApprovalRequest:
    """What the approver sees. ``tool_input`` is sanitized before it gets here."""

    id: str
    tool: str
    tool_input: Mapping[str, Any]
    requester: str
    conversation_id: str
    reason: str
    risk: str
    created_at: datetime
    expires_at: datetime
    status: Status = "pending"
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None
    """The approver's comment (required when denying through the HTTP API)."""

    @classmethod
    def new(
        cls,
        *,
        tool: str,
        tool_input: Mapping[str, Any],
        requester: str,
        conversation_id: str,
        reason: str,
        risk: str,
        now: datetime,
        ttl_seconds: float,
    ) -> ApprovalRequest:
        """A pending request with a fresh id, expiring ``ttl_seconds`` after ``now`` (every store makes them so)."""
        return cls(
            id=uuid.uuid4().hex,
            tool=tool,
            tool_input=dict(tool_input),
            requester=requester,
            conversation_id=conversation_id,
            reason=reason,
            risk=risk,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )


class ApprovalBackend(Protocol):
    """What the guardrail chain needs from an approval store."""

    async def submit(
        self,
        *,
        tool: str,
        tool_input: Mapping[str, Any],
        requester: str,
        conversation_id: str,
        reason: str,
        risk: str,
        ttl_seconds: float,
    ) -> ApprovalRequest:
        """Record a request (or return the identical one already waiting) and return it."""
        ...

    async def wait(self, approval_id: str) -> ApprovalRequest:
        """Until decided or expired (expired is final: deny)."""
        ...


class UnknownApprovalError(KeyError):
    """No request with that id (or it was already decided)."""


@dataclass
class _Entry:
    request: ApprovalRequest
    decided: asyncio.Event = field(default_factory=asyncio.Event)


class ApprovalStore:
    """Approval requests held in memory (one process). Thread-unsafe: use from one event loop."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self._entries: dict[str, _Entry] = {}

    def create(
        self,
        *,
        tool: str,
        tool_input: Mapping[str, Any],
        requester: str,
        conversation_id: str,
        reason: str,
        risk: str,
        ttl_seconds: float,
    ) -> ApprovalRequest:
        now = self._clock()
        request = ApprovalRequest.new(
            tool=tool,
            tool_input=tool_input,
            requester=requester,
            conversation_id=conversation_id,
            reason=reason,
            risk=risk,
            now=now,
            ttl_seconds=ttl_seconds,
        )
        self._entries[request.id] = _Entry(request)
        return request

    async def submit(
        self,
        *,
        tool: str,
        tool_input: Mapping[str, Any],
        requester: str,
        conversation_id: str,
        reason: str,
        risk: str,
        ttl_seconds: float,
    ) -> ApprovalRequest:
        return self.create(
            tool=tool,
            tool_input=tool_input,
            requester=requester,
            conversation_id=conversation_id,
            reason=reason,
            risk=risk,
            ttl_seconds=ttl_seconds,
        )

    def get(self, approval_id: str) -> ApprovalRequest:
        entry = self._entries.get(approval_id)
        if entry is None:
            raise UnknownApprovalError(approval_id)
        return self._expire_if_due(entry).request

    def pending(self) -> list[ApprovalRequest]:
        return [e.request for e in self._entries.values() if self._expire_if_due(e).request.status == "pending"]

    def decide(self, approval_id: str, *, approved: bool, by: str) -> ApprovalRequest:
        """Record a person's decision. Deciding an expired or decided request is refused."""
        entry = self._entries.get(approval_id)
        if entry is None or self._expire_if_due(entry).request.status != "pending":
            raise UnknownApprovalError(f"{approval_id}: no pending request with that id")
        entry.request = replace(
            entry.request, status="approved" if approved else "denied", decided_by=by, decided_at=self._clock()
        )
        entry.decided.set()
        return entry.request

    async def wait(self, approval_id: str) -> ApprovalRequest:
        """Until decided or expired (expired is final: deny)."""
        entry = self._entries.get(approval_id)
        if entry is None:
            raise UnknownApprovalError(approval_id)
        remaining = (entry.request.expires_at - self._clock()).total_seconds()
        if entry.request.status == "pending" and remaining > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(entry.decided.wait(), timeout=remaining)
        return self._expire_if_due(entry, force=entry.request.status == "pending").request

    def _expire_if_due(self, entry: _Entry, force: bool = False) -> _Entry:
        if entry.request.status == "pending" and (force or self._clock() >= entry.request.expires_at):
            entry.request = replace(entry.request, status="expired", decided_at=self._clock())
            entry.decided.set()
        return entry
