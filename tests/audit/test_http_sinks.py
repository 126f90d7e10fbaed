"""Loki, Splunk HEC and Datadog shippers against receivers that follow each documented contract."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hooks.audit.canonical import canonical_bytes
from hooks.audit.keys import load_verifier
from hooks.audit.shippers.base import PermanentError, RetryPolicy, Shipper
from hooks.audit.shippers.datadog import DatadogShipper
from hooks.audit.shippers.loki import LokiShipper
from hooks.audit.shippers.splunk import SplunkHecShipper
from hooks.audit.sink import TamperEvidentAuditSink
from hooks.audit.verify import Report, verify_lines
from hooks.types import AuditEvent
from tests.audit.helpers import event, is_checkpoint, new_keys, record
from tests.audit.receivers import HEC_MAX_CONTENT, State, receiver

FAST = RetryPolicy(initial=0.001, cap=0.01)


def _run(tmp: Path, shipper: Shipper, events: list[AuditEvent], **kwargs: object) -> TamperEvidentAuditSink:
    kwargs.setdefault("flush_interval", 0.05)
    sink = TamperEvidentAuditSink(tmp / "keys", tmp / "spool", [shipper], retry=FAST, **kwargs)  # type: ignore[arg-type]
    for e in events:
        sink.emit(e)
    assert sink.close(timeout=30)
    return sink


def _verify(tmp: Path, lines: list[bytes]) -> Report:
    seed, _, public = load_verifier(tmp / "keys")
    return verify_lines([(0, i + 1, line) for i, line in enumerate(lines)], seed, public)


def _assert_once_in_order(lines: list[bytes]) -> None:
    seqs = [record(line)["seq"] for line in lines]
    assert seqs == list(range(len(seqs)))


def _big_event(i: int, size: int) -> AuditEvent:
    e = event(i)
    return AuditEvent(e.category, e.action, e.actor, {**e.detail, "input": {"blob": "x" * size}}, e.timestamp)


def test_loki_retries_5xx_and_429_and_verifies(tmp_path: Path) -> None:
    new_keys(tmp_path)
    with receiver(State(script=[503, 429, 500, 503], retry_after="0")) as (url, state):
        sink = _run(tmp_path, LokiShipper(url, tenant="audit"), [event(i) for i in range(1000)])
    lines = [line.encode() for line in state.loki_lines]
    _assert_once_in_order(lines)
    assert sink.metrics["delivery_retries"] == 4
    assert _verify(tmp_path, lines).ok


def test_loki_splits_by_request_size_and_refuses_oversized_lines(tmp_path: Path) -> None:
    new_keys(tmp_path)
    with receiver() as (url, state):
        shipper = LokiShipper(url, max_request=64 * 1024)
        events = [_big_event(i, 2000) for i in range(300)]
        _run(tmp_path, shipper, events, flush_events=300, flush_interval=3600)
        assert all(size <= 64 * 1024 for path, _, size in state.requests if path == "loki")
        assert len(state.requests) > 10
        lines = [line.encode() for line in state.loki_lines]
        _assert_once_in_order(lines)
        assert _verify(tmp_path, lines).ok
        with pytest.raises(PermanentError):
            shipper.send([canonical_bytes({"category": "tool", "ts": "x", "seq": 0, "blob": "y" * 300_000})])


def test_splunk_hec_acks_busy_and_413_split(tmp_path: Path) -> None:
    new_keys(tmp_path)
    with receiver(State(busy=2, ack_after_polls=3)) as (url, state):
        # Our cap is set above the receiver's max_content_length: its 413 makes us halve the batch.
        shipper = SplunkHecShipper(url, "hec-token", ack_poll=0.001, max_request=4 * HEC_MAX_CONTENT)
        events = [_big_event(i, 5000) for i in range(400)]
        sink = _run(tmp_path, shipper, events, flush_events=400, flush_interval=3600)
    statuses = [status for _, status, _ in state.requests]
    assert 413 in statuses
    assert statuses.count(503) == 2
    assert sink.metrics["delivery_retries"] >= 2
    lines = [canonical_bytes(e["event"]) for e in state.hec_events]
    _assert_once_in_order(lines)
    assert all(e["sourcetype"] == "_json" for e in state.hec_events)
    assert _verify(tmp_path, lines).ok


def test_splunk_rejected_token_parks_everything_then_replays_after_restart(tmp_path: Path) -> None:
    new_keys(tmp_path)
    with receiver(State(token="right")) as (url, state):
        wrong = SplunkHecShipper(url, "wrong", ack_poll=0.001)
        sink = TamperEvidentAuditSink(tmp_path / "keys", tmp_path / "spool", [wrong], retry=FAST, flush_events=100,
                                      flush_interval=0.05)  # fmt: skip
        for i in range(150):
            sink.emit(event(i))
        assert not sink.close(timeout=0.3)  # refused for good: kept on disk, not reported as delivered
        assert sink.metrics["dead_lettered"] == 1
        assert state.hec_events == []
        assert sink.spool.dead_letters(wrong.name)
        # The operator fixes the token and restarts: the dead-letter queue is replayed first, in order.
        right = SplunkHecShipper(url, "right", ack_poll=0.001, name=wrong.name)
        again = TamperEvidentAuditSink(tmp_path / "keys", tmp_path / "spool", [right], retry=FAST, flush_interval=0.05)
        again.emit(event(150))
        assert again.close(timeout=30)
        assert again.metrics["dlq_replayed"] >= 1
    lines = [canonical_bytes(e["event"]) for e in state.hec_events]
    _assert_once_in_order(lines)
    assert sum(not is_checkpoint(line) for line in lines) == 151
    assert _verify(tmp_path, lines).ok


def _wait(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


@pytest.mark.parametrize("kind", ["loki", "datadog"])
def test_sink_refusing_for_a_while_then_recovering_gets_everything_in_order(tmp_path: Path, kind: str) -> None:
    new_keys(tmp_path)
    with receiver(State(refuse=400)) as (url, state):
        shipper: Shipper = LokiShipper(url) if kind == "loki" else DatadogShipper(url, "dd-key")
        sink = TamperEvidentAuditSink(tmp_path / "keys", tmp_path / "spool", [shipper], retry=FAST, flush_events=50,
                                      flush_interval=0.05)  # fmt: skip
        for i in range(1000):
            sink.emit(event(i))
        assert sink.flush(timeout=30)
        # Refused for good: the first batch is dead-lettered, every later one parked behind it, probes fail.
        _wait(lambda: sink.metrics["dlq_probe_failures"] >= 2 and sink._delivered[shipper.name] >= sink.spool.last_seq)
        assert sink.metrics["dead_lettered"] == 1
        assert sink.metrics["parked"] >= 10
        assert state.loki_lines == [] and state.dd_messages == []
        state.refuse = None  # the sink recovers: the next probe gets through and the DLQ is replayed on its own
        for i in range(1000, 1200):
            sink.emit(event(i))
        assert sink.close(timeout=30)
        assert sink.metrics["dlq_replayed"] >= 10
        assert sink.spool.dead_letters(shipper.name) == []
        assert sink.spool.dead_letter_reasons(shipper.name) == []
    got = state.loki_lines if kind == "loki" else state.dd_messages
    lines = [line.encode() for line in got]
    _assert_once_in_order(lines)
    assert sum(not is_checkpoint(line) for line in lines) == 1200
    assert _verify(tmp_path, lines).ok


def test_datadog_splits_at_1000_entries_and_survives_an_outage(tmp_path: Path) -> None:
    new_keys(tmp_path)
    with receiver(State(script=[503] * 30 + [408, 429])) as (url, state):
        sink = _run(tmp_path, DatadogShipper(url, "dd-key"), [event(i) for i in range(2500)],
                    flush_events=2500, flush_interval=3600)  # fmt: skip
    ok = [size for path, status, size in state.requests if path == "datadog" and status == 202]
    assert len(ok) == 3  # 2501 records: 1000 + 1000 + 501
    assert sink.metrics["delivery_retries"] == 32
    lines = [m.encode() for m in state.dd_messages]
    _assert_once_in_order(lines)
    assert _verify(tmp_path, lines).ok


def test_loki_refuses_a_batch_older_than_its_window_and_it_is_dead_lettered_with_the_reason(tmp_path: Path) -> None:
    """A batch that waited in the spool longer than Loki accepts samples (7 days) is refused (400): it goes to the
    dead-letter queue with Loki's answer as the reason, stays on disk whole, and nothing is reported delivered.
    The receiver's clock is moved instead of writing a date, so this holds on any day the suite runs."""
    new_keys(tmp_path)
    eight_days = 8 * 86400 * 10**9
    with receiver(State(now_ns=lambda: time.time_ns() + eight_days)) as (url, state):
        shipper = LokiShipper(url)
        sink = TamperEvidentAuditSink(tmp_path / "keys", tmp_path / "spool", [shipper], retry=FAST, flush_events=50,
                                      flush_interval=0.05)  # fmt: skip
        for i in range(120):
            sink.emit(event(i))
        assert not sink.close(timeout=0.5)  # refused for good: kept, not reported as delivered
    assert state.loki_lines == []
    assert sink.metrics["dead_lettered"] == 1
    reasons = sink.spool.dead_letter_reasons(shipper.name)
    assert len(reasons) == 1
    assert reasons[0].first == 0
    assert "HTTP 400" in reasons[0].reason and "timestamp too old" in reasons[0].reason
    # Nothing lost: the refused batch and every batch parked behind it hold all 120 events and the checkpoints.
    parked = [line for batch in sink.spool.dead_letters(shipper.name) for line in batch.lines]
    _assert_once_in_order(parked)
    assert sum(not is_checkpoint(line) for line in parked) == 120
    assert _verify(tmp_path, parked).ok
