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
from hooks.audit.verify import verify_files
from tests.audit.helpers import new_keys, record

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
