"""10,000 upstream-shaped audit events posted in bursts by two producers while the service is restarted three
times: every event answered 202 is in the trail, the trail verifies, and an event appears twice only when the
second copy is marked as a replay (resent after an attempt whose outcome was unknown)."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO_ROOT
from tests.service.conftest import APP_TOKEN, Service

TOTAL = 10_000
BURST = 100
PRODUCERS = 2


class Producer(threading.Thread):
    """Posts its share of events in bursts, the way the adapter does: a refused connection is retried as it is,
    any other failure (reset, timeout, 5xx) is retried with ``X-Audit-Replay: true``."""

    def __init__(self, svc: Service, first: int, count: int) -> None:
        super().__init__(daemon=True)
        self.svc, self.first, self.count = svc, first, count
        self.accepted: list[int] = []
        self.attempts = collections.Counter[str]()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:
            self.error = exc

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {APP_TOKEN}"}
        deadline = time.monotonic() + 240
        with httpx.Client(timeout=10) as client:
            for start in range(self.first, self.first + self.count, BURST):
                ids = list(range(start, min(start + BURST, self.first + self.count)))
                batch = [{"category": "tool", "action": "executed", "actor": "agent",
                          "detail": {"tool": "shell", "jobId": f"job-{i}"}} for i in ids]  # fmt: skip
                replay = False
                while True:
                    assert time.monotonic() < deadline, "the service did not come back"
                    extra = {"X-Audit-Replay": "true"} if replay else {}
                    try:
                        response = client.post(f"{self.svc.url}/v1/audit/events", json=batch,
                                               headers={**headers, **extra})  # fmt: skip
                    except httpx.ConnectError:
                        self.attempts["refused"] += 1  # never reached the service: same attempt again
                        time.sleep(0.02)
                        continue
                    except httpx.HTTPError:
                        self.attempts["unknown"] += 1
                        replay = True
                        time.sleep(0.02)
                        continue
                    if response.status_code == 202:
                        self.accepted += ids
                        break
                    assert response.status_code == 503, response.text
                    self.attempts["503"] += 1
                    replay = True
                    time.sleep(0.05)


@pytest.mark.slow
def test_ten_thousand_events_in_bursts_across_three_restarts(tmp_path: Path) -> None:
    svc = Service(tmp_path).start()
    share = TOTAL // PRODUCERS
    producers = [Producer(svc, n * share, share) for n in range(PRODUCERS)]
    try:
        for producer in producers:
            producer.start()
        restarted_at: list[int] = []
        for quarter in (1, 2, 3):  # restart at 25 %, 50 % and 75 % of the events, while both producers post
            while sum(len(p.accepted) for p in producers) < quarter * TOTAL // 4:
                assert any(p.is_alive() for p in producers), "the producers stopped early"
                time.sleep(0.002)
            restarted_at.append(sum(len(p.accepted) for p in producers))
            svc.stop()  # graceful: in-flight requests are cut after 1 s, the sink flushes and closes
            time.sleep(0.3)  # connections are refused meanwhile
            svc.start()
        for producer in producers:
            producer.join(300)
            assert not producer.is_alive() and producer.error is None, producer.error
    finally:
        svc.stop()

    accepted = {i for p in producers for i in p.accepted}
    assert len(accepted) == TOTAL
    records = svc.records()
    seen: dict[int, list[bool]] = collections.defaultdict(list)
    for record in records:
        if record["action"] == "tool.executed" and record["detail"].get("origin") == "app":
            seen[int(record["detail"]["job_id"].removeprefix("job-"))].append(bool(record["detail"].get("replay")))
    assert accepted <= set(seen), f"{len(accepted - set(seen))} accepted events are missing from the trail"
    for job, copies in seen.items():
        assert copies.count(False) <= 1, f"job-{job} recorded twice without a replay mark"
    attempts = sum((p.attempts for p in producers), collections.Counter[str]())
    assert all(n < TOTAL for n in restarted_at), restarted_at  # every restart happened mid-stream
    assert attempts["refused"] > 0  # the producers did hit the restarts
    duplicates = sum(len(c) - 1 for c in seen.values())
    verify = subprocess.run(
        [sys.executable, "-m", "bakerst_hardened.cli", "audit", "verify", str(svc.trail), "--keys",
         str(tmp_path / "keys"), "--json"],
        capture_output=True, text=True, check=False, cwd=REPO_ROOT,
    )  # fmt: skip
    report: dict[str, Any] = json.loads(verify.stdout)
    assert verify.returncode == 0, report
    print(f"\n{TOTAL} events, restarts at {restarted_at}, {len(records)} records, attempts {dict(attempts)}, "
          f"replayed duplicates {duplicates}")  # fmt: skip
