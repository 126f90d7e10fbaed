"""The sink end to end on a real filesystem: non-blocking emit, retries, queue-full accounting, restarts."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from hooks.audit.keys import load_verifier, writer_dir
from hooks.audit.shippers.base import PermanentError, RetryPolicy, TransientError
from hooks.audit.shippers.file import FileShipper
from hooks.audit.sink import TamperEvidentAuditSink
from hooks.audit.spool import Batch
from hooks.audit.taxonomy import make_event
from hooks.audit.verify import Report, verify_files
from tests.audit.helpers import event, new_keys, record

FAST = RetryPolicy(initial=0.001, cap=0.01)


class Recording:
    """In-memory destination with programmable failures."""

    def __init__(self, name: str = "mem", fail: int = 0, every: int = 0, permanent_at: set[int] | None = None) -> None:
        self.name = name
        self.lines: list[bytes] = []
        self.calls = 0
        self.fail, self.every = fail, every
        self.permanent_at = permanent_at or set()
        self.gate = threading.Event()
        self.gate.set()
        self.refuse = False

    def send(self, lines: Sequence[bytes]) -> None:
        assert self.gate.wait(30)
        self.calls += 1
        if self.refuse or self.calls in self.permanent_at:
            raise PermanentError("400 bad request")
        if self.calls <= self.fail or (self.every and self.calls % self.every == 0):
            raise TransientError("503 busy", retry_after=0.0)
        self.lines.extend(lines)

    def close(self) -> None:
        pass


def _verify(keys: Path, path: Path) -> Report:
    seed, _, public = load_verifier(keys)
    return verify_files([path], seed, public)


def _sink(keys: Path, tmp: Path, shippers: Sequence[object], **kwargs: object) -> TamperEvidentAuditSink:
    kwargs.setdefault("flush_interval", 0.05)
    kwargs.setdefault("retry", FAST)
    return TamperEvidentAuditSink(keys, tmp / "spool", shippers, **kwargs)  # type: ignore[arg-type]


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def test_file_sink_trail_verifies(tmp_path: Path) -> None:
    keys = new_keys(tmp_path)
    out = tmp_path / "trail.jsonl"
    sink = _sink(keys, tmp_path, [FileShipper(out)])
    for i in range(1000):
        sink.emit(event(i))
    assert sink.close()
    report = _verify(keys, out)
    assert report.ok, report.to_json()
    assert report.unique == 1000 + report.checkpoints
    assert (out.stat().st_mode & 0o777) == 0o640
    assert sink.metrics["emitted"] == 1000


def test_emit_does_not_wait_for_a_stuck_destination(tmp_path: Path) -> None:
    keys = new_keys(tmp_path)
    dest = Recording()
    dest.gate.clear()  # the destination hangs
    sink = _sink(keys, tmp_path, [dest])
    for i in range(500):
        sink.emit(event(i))
    assert sink.flush(timeout=30)  # MAC'd, checkpointed and on disk although nothing was delivered
    assert dest.lines == []
    assert sink.spool.last_seq >= 500
    dest.gate.set()
    assert sink.close()
    assert [record(line)["seq"] for line in dest.lines] == list(range(len(dest.lines)))


@pytest.mark.parametrize(("fail", "every"), [(25, 0), (0, 3)], ids=["down-then-up", "intermittent"])
def test_failures_are_retried_in_order_exactly_once(tmp_path: Path, fail: int, every: int) -> None:
    keys = new_keys(tmp_path)
    dest = Recording(fail=fail, every=every)
    sink = _sink(keys, tmp_path, [dest], flush_events=50)
    for i in range(1000):
        sink.emit(event(i))
    assert sink.close()
    assert sink.metrics["delivery_retries"] > 0
    seqs = [record(line)["seq"] for line in dest.lines]
    assert seqs == list(range(len(seqs)))
    report = _verify(keys, _write(tmp_path / "got.jsonl", dest.lines))
    assert report.ok, report.to_json()


def test_refused_batch_goes_to_the_dlq_and_is_replayed_automatically_in_order(tmp_path: Path) -> None:
    keys = new_keys(tmp_path)
    dest = Recording(permanent_at={2, 3, 4})  # refused for good, then two failed recovery probes, then it recovers
    sink = _sink(keys, tmp_path, [dest], flush_events=100)
    for i in range(300):
        sink.emit(event(i))
    sink.flush()
    assert sink.close()
    assert sink.metrics["dead_lettered"] == 1
    assert sink.metrics["dlq_probe_failures"] == 2
    assert sink.metrics["dlq_replayed"] >= 1
    assert sink.spool.dead_letters(dest.name) == []
    assert not list((tmp_path / "spool").glob("dlq-*.wal"))
    seqs = [record(line)["seq"] for line in dest.lines]
    assert seqs == list(range(len(seqs)))  # no manual sort: the sink itself delivered in order, exactly once
    report = _verify(keys, _write(tmp_path / "got.jsonl", dest.lines))
    assert report.ok, report.to_json()


def test_crash_between_parking_and_cursor_save_parks_nothing_twice(tmp_path: Path) -> None:
    keys = new_keys(tmp_path)
    dest = Recording()
    dest.refuse = True
    sink = _sink(keys, tmp_path, [dest], flush_events=20)
    for i in range(200):
        sink.emit(event(i))
    assert not sink.close(timeout=0.5)
    spool = tmp_path / "spool"
    parked = sink.spool.dead_letters(dest.name)
    assert len(parked) > 5
    assert sink.spool.cursor(dest.name) == parked[-1].last
    # As if killed after the last DLQ appends but before the cursor saves: the cursor lags the DLQ.
    sink.spool.set_cursor(dest.name, parked[-4].last)
    dest.refuse = False
    again = _sink(keys, tmp_path, [dest], flush_events=20)
    again.emit(event(200))
    assert again.close()
    assert not list(spool.glob("dlq-*.wal"))
    seqs = [record(line)["seq"] for line in dest.lines]
    assert seqs == list(range(len(seqs)))
    report = _verify(keys, _write(tmp_path / "got.jsonl", dest.lines))
    assert report.ok, report.to_json()


def test_operator_replay_after_close_delivers_the_dlq_in_order(tmp_path: Path) -> None:
    keys = new_keys(tmp_path)
    dest = Recording()
    dest.refuse = True
    sink = _sink(keys, tmp_path, [dest], flush_events=25)
    for i in range(100):
        sink.emit(event(i))
    assert not sink.close(timeout=0.3)
    pending = len(sink.spool.dead_letters(dest.name))
    assert pending >= 4
    dest.refuse = False
    assert sink.replay_dead_letters(dest) == pending
    assert sink.spool.dead_letters(dest.name) == []
    seqs = [record(line)["seq"] for line in dest.lines]
    assert seqs == list(range(len(seqs)))
    assert _verify(keys, _write(tmp_path / "got.jsonl", dest.lines)).ok


def test_full_queue_is_counted_into_the_next_checkpoint(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    keys = new_keys(tmp_path)
    out = tmp_path / "trail.jsonl"
    sink = _sink(keys, tmp_path, [FileShipper(out)], flush_interval=3600, flush_events=10**6, queue_max=10)
    for i in range(15):
        sink.emit(event(i))
    assert sink.close()
    assert sink.metrics["dropped_queue_full"] == 5
    assert "audit queue full" in caplog.text
    report = _verify(keys, out)
    assert report.kinds() == {"dropped"}
    actions = [json.loads(line)["action"] for line in out.read_bytes().splitlines() if line]
    assert "admin.audit_dropped" in actions


def test_restart_continues_the_same_trail(tmp_path: Path) -> None:
    keys = new_keys(tmp_path)
    out = tmp_path / "trail.jsonl"
    for run in range(3):
        sink = _sink(keys, tmp_path, [FileShipper(out)])
        for i in range(120):
            sink.emit(event(run * 1000 + i))
        assert sink.close()
    report = _verify(keys, out)
    assert report.ok, report.to_json()
    assert report.unique == 360 + report.checkpoints


def test_crash_between_spool_and_state_save_rolls_forward(tmp_path: Path) -> None:
    keys = new_keys(tmp_path / "a")
    dest = Recording()
    dest.gate.clear()
    sink = _sink(keys, tmp_path / "a", [dest], flush_interval=3600)
    for i in range(50):
        sink.emit(event(i))
    assert sink.flush()
    stale_state = (writer_dir(keys) / "state.json").read_bytes()
    for i in range(50, 100):
        sink.emit(event(i))
    assert sink.flush()
    # The machine "crashes" now, as if the state save after the second spool append had not happened.
    crashed = tmp_path / "b"
    shutil.copytree(tmp_path / "a", crashed)
    (writer_dir(crashed / "keys") / "state.json").write_bytes(stale_state)
    dest.gate.set()
    sink.close()
    out = tmp_path / "trail.jsonl"
    again = _sink(crashed / "keys", crashed, [FileShipper(out)])
    for i in range(100, 110):
        again.emit(event(i))
    assert again.close()
    report = _verify(crashed / "keys", out)
    assert report.ok, report.to_json()
    calls = [record(line)["detail"].get("call_id") for line in out.read_bytes().splitlines() if line]
    assert [c for c in calls if c] == [f"call-{i}" for i in range(110)]


def test_idle_heartbeat_checkpoints(tmp_path: Path) -> None:
    keys = new_keys(tmp_path)
    out = tmp_path / "trail.jsonl"
    sink = _sink(keys, tmp_path, [FileShipper(out)], flush_interval=0.01, heartbeat=0.01)
    deadline_polls = 3000
    while sink.metrics["checkpoints"] < 3 and deadline_polls:
        threading.Event().wait(0.01)
        deadline_polls -= 1
    assert sink.close()
    report = _verify(keys, out)
    assert report.ok, report.to_json()
    assert report.checkpoints >= 3
    assert report.unique == report.checkpoints  # nothing but checkpoints


def test_disk_full_on_the_spool_is_loud_and_retried(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import errno

    keys = new_keys(tmp_path)
    out = tmp_path / "trail.jsonl"
    sink = _sink(keys, tmp_path, [FileShipper(out)])
    real = sink.spool.append_many
    failures = [3]

    def full(batches: list[Batch]) -> None:
        if failures[0]:
            failures[0] -= 1
            raise OSError(errno.ENOSPC, "No space left on device")
        real(batches)

    sink.spool.append_many = full  # type: ignore[method-assign]
    for i in range(300):
        sink.emit(event(i))
    assert sink.close()
    assert sink.metrics["spool_errors"] == 3
    assert "No space left on device" in caplog.text
    report = _verify(keys, out)
    assert report.ok, report.to_json()
    assert report.unique == 300 + report.checkpoints


def test_sanitizer_is_applied_before_the_mac(tmp_path: Path) -> None:
    keys = new_keys(tmp_path)
    out = tmp_path / "trail.jsonl"

    sink = _sink(keys, tmp_path, [FileShipper(out)])  # default: the hooks.sanitize sanitizer on input fields
    token = "ghp_R8x2LmQ9vT4kW7nZ1pYc3sJ6hD0fG5bA2eKu"
    detail = {"tool": "http", "call_id": "c1", "input": {"auth": token, "to": "bob@example.com"}}
    secret = make_event("tool.executed", "u1", detail)
    sink.emit(secret)
    assert sink.close()
    data = out.read_bytes()
    assert b"ghp_R8x2LmQ9vT4kW7nZ1pYc3sJ6hD0fG5bA2eKu" not in data
    assert b"bob@example.com" not in data
    assert b"REDACTED" in data
    assert _verify(keys, out).ok
