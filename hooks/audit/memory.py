"""An in-memory audit sink for tests and local runs (bounded; it is not a trail)."""

from __future__ import annotations

from collections import deque

from hooks.types import AuditEvent


class MemoryAuditSink:
    """Keeps the last ``capacity`` events in order."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._events: deque[AuditEvent] = deque(maxlen=capacity)

    def emit(self, event: AuditEvent) -> None:
        self._events.append(event)

    @property
    def events(self) -> list[AuditEvent]:
        return list(self._events)

    def actions(self) -> list[str]:
        return [event.action for event in self._events]
