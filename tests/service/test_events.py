"""Upstream event mapping (pure): whatever the application sends becomes one valid, canonical audit event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.audit.canonical import check_canonical
from hooks.audit.taxonomy import validate
from hooks.service.events import MAX_DETAIL_CHARS, ReportedEvent, map_event

NOW = datetime(2030, 1, 1, tzinfo=UTC)  # any instant: the mapping never reads the clock

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    category=st.sampled_from(["tool", "auth", "secret", "admin", "llm", "ops", ""]),
    action=st.sampled_from(["blocked", "executed", "rejected", "tool.blocked", "read", "x.y", ""]),
    actor=st.text(max_size=20),
    detail=st.dictionaries(st.sampled_from(["tool", "reason", "jobId", "path", "call_id", "other"]) | st.text(
        max_size=8), json_values, max_size=6),
)  # fmt: skip
def test_every_event_maps_to_a_valid_canonical_record(
    category: str, action: str, actor: str, detail: dict[str, Any]
) -> None:
    event, problems = map_event(ReportedEvent(category, action, actor, detail), NOW)
    validate(event)
    check_canonical(event.detail)
    assert event.actor
    assert event.timestamp == NOW
    if event.action.endswith(".reported"):
        assert problems


def test_upstream_shapes_map_without_problems() -> None:
    cases = [
        (ReportedEvent("tool", "blocked", "guardrail", {"tool": "t", "reason": "r"}), "tool.blocked"),
        (ReportedEvent("tool", "executed", "agent", {"tool": "t", "jobId": "j"}), "tool.executed"),
        (ReportedEvent("tool", "executed", "agent", {"tool": "t"}), "tool.executed"),
        (ReportedEvent("auth", "rejected", "10.0.0.9", {"path": "/x", "reason": "invalid_token"}), "auth.rejected"),
        (ReportedEvent("tool", "tool.blocked", "guardrail", {"tool": "t"}), "tool.blocked"),
    ]
    for reported, action in cases:
        event, problems = map_event(reported, NOW)
        assert (event.action, problems) == (action, [])
        assert event.detail["origin"] == "app"


def test_a_huge_detail_is_cut_and_said_so() -> None:
    event, problems = map_event(ReportedEvent("tool", "executed", "agent", {"tool": "t", "x": "y" * 50_000}), NOW)
    assert event.action == "tool.reported"
    assert len(event.detail["reported"]["truncated"]) == MAX_DETAIL_CHARS
    assert any("cut" in p for p in problems)
