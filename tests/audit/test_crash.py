"""kill -9 of a real emitting process: everything that reached the on-disk queue is delivered after restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hooks.audit.keys import load_verifier
from hooks.audit.spool import read_frames
from hooks.audit.verify import verify_files, verify_lines
from tests.audit.helpers import new_keys, record
from tests.audit.receivers import State, receiver

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import sys, time
from pathlib import Path
from hooks.audit.shippers.file import FileShipper
from hooks.audit.sink import TamperEvidentAuditSink
from tests.audit.helpers import event
keys, spool, out, start = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
sink = TamperEvidentAuditSink(keys, spool, [FileShipper(out)], flush_interval=0.01, flush_events=37)
i = start
while True:
    sink.emit(event(i))
    i += 1
    if i % 20 == 0:
        time.sleep(0.001)
    if start and i == start + 200:
        sink.close()
        break
"""


def _run(args: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=REPO, env=env)


@pytest.mark.slow
@pytest.mark.parametrize("kill_at_lines", [1500, 4000])
def test_kill_9_then_restart(tmp_path: Path, kill_at_lines: int) -> None:
    keys = new_keys(tmp_path)
    spool, out = tmp_path / "spool", tmp_path / "trail.jsonl"
    child = _run([str(keys), str(spool), str(out), "0"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if out.exists() and out.stat().st_size and out.read_bytes().count(b"\n") >= kill_at_lines:
            break
        time.sleep(0.005)
    assert child.poll() is None, "child died on its own"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    spooled = list(spool.glob("seg-*.wal"))
    assert spooled, "the on-disk queue should survive the kill"
    # Restart: recovers the writer state from the spool, delivers what the dead process had not, continues.
    again = _run([str(keys), str(spool), str(out), "1000000"])
    assert again.wait(60) == 0
    seed, _, public = load_verifier(keys)
    report = verify_files([out], seed, public)
    assert report.ok, report.to_json()
    calls = [record(line)["detail"].get("call_id") for line in out.read_bytes().splitlines() if line.strip()]
    first_run = [int(c.split("-")[1]) for c in calls if c and int(c.split("-")[1]) < 1_000_000]
    # No event the dead process spooled is lost, none is reordered; duplicates only as visible redelivery.
    unique = list(dict.fromkeys(first_run))
    assert unique == list(range(len(unique)))
    assert len(unique) >= kill_at_lines - 200
    second = [c for c in calls if c and int(c.split("-")[1]) >= 1_000_000]
    assert len(set(second)) == 200


CHILD_DLQ = """
import sys
from pathlib import Path
from hooks.audit.shippers.base import RetryPolicy
from hooks.audit.shippers.datadog import DatadogShipper
from hooks.audit.sink import TamperEvidentAuditSink
from tests.audit.helpers import event
keys, spool, url, n = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
sink = TamperEvidentAuditSink(keys, spool, [DatadogShipper(url, "dd-key", name="dd")], flush_interval=0.01,
                              flush_events=10, retry=RetryPolicy(initial=0.005, cap=0.05))
for i in range(n):
    sink.emit(event(i))
sink.flush()
print(sink.spool.last_seq, flush=True)
sys.exit(0 if sink.close(timeout=120) else 1)
"""


def _parked_up_to(spool: Path) -> int:
    path = spool / "dlq-dd.wal"
    frames = list(read_frames(path)) if path.exists() else []
    return frames[-1][2].last if frames else -1


@pytest.mark.slow
def test_kill_9_during_dead_letter_replay(tmp_path: Path) -> None:
    keys = new_keys(tmp_path)
    spool = tmp_path / "spool"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with receiver(State(refuse=400, delay=0.002)) as (url, state):
        child = subprocess.Popen([sys.executable, "-c", CHILD_DLQ, str(keys), str(spool), url, "2000"], cwd=REPO,
                                 env=env, stdout=subprocess.PIPE)  # fmt: skip
        assert child.stdout is not None
        last = int(child.stdout.readline())
        deadline = time.monotonic() + 60
        while _parked_up_to(spool) < last:  # the sink refuses for good: everything ends up in the DLQ, in order
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.005)
        assert state.dd_messages == []
        state.refuse = None  # the sink recovers; the child notices on its next probe and replays
        while len(state.dd_messages) < last // 3:
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.001)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert len(state.dd_messages) < last + 1, "replay finished before the kill"
        assert _parked_up_to(spool) >= last  # the rest of the DLQ survived the kill
        again = subprocess.run([sys.executable, "-c", CHILD_DLQ, str(keys), str(spool), url, "0"], cwd=REPO,
                               env=env, capture_output=True, timeout=120, check=False)  # fmt: skip
        assert again.returncode == 0, again.stderr.decode()[-2000:]
    lines = [m.encode() for m in state.dd_messages]
    seqs = [record(line)["seq"] for line in lines]
    unique = list(dict.fromkeys(seqs))
    # Every record arrives, in sequence order; a batch in flight at the kill may arrive twice (visible by seq).
    assert unique == list(range(len(unique)))
    assert unique[-1] > last
    assert len(seqs) - len(unique) <= 10 + 1
    by_seq = {record(line)["seq"]: line for line in lines}
    seed, _, public = load_verifier(keys)
    report = verify_lines([(0, i + 1, by_seq[s]) for i, s in enumerate(unique)], seed, public)
    assert report.ok, report.to_json()
    report_raw = verify_lines([(0, i + 1, line) for i, line in enumerate(lines)], seed, public)
    assert report_raw.ok, report_raw.to_json()
