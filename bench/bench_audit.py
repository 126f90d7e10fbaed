"""Audit trail costs, next to the raw ``hmac`` + ``json`` cost of the same events in the same run.

Measures: ``emit()`` p50/p99 (queue put), end-to-end events/s to the file sink (fsync'd) and to a real rsyslogd on
loopback (skipped when rsyslogd is missing), and verifier events/s. Each figure is printed with its ratio to the
raw cost (``json.dumps(sort_keys) + hmac.digest`` per event), because this machine's speed varies from run to
run. Run: ``.venv/bin/python bench/bench_audit.py [--events N] [--json]``.
"""

from __future__ import annotations

import argparse
import hmac
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hooks.audit.keys import keygen, load_verifier
from hooks.audit.shippers.base import Shipper
from hooks.audit.shippers.file import FileShipper
from hooks.audit.shippers.syslog import SyslogShipper
from hooks.audit.sink import TamperEvidentAuditSink
from hooks.audit.taxonomy import identity
from hooks.audit.verify import verify_files
from hooks.types import AuditEvent
from tests.audit.helpers import event
from tests.audit.rsyslog import available, rsyslog


def raw_cost(events: list[AuditEvent]) -> float:
    """Seconds per event for sorted compact JSON + one HMAC-SHA256, the floor any MAC'd JSON log pays."""
    key = b"k" * 32
    start = time.perf_counter()
    for e in events:
        body = {"ts": e.timestamp.isoformat(), "category": e.category, "action": e.action, "actor": e.actor,
                "detail": dict(e.detail)}  # fmt: skip
        hmac.digest(key, json.dumps(body, sort_keys=True, separators=(",", ":")).encode(), "sha256")
    return (time.perf_counter() - start) / len(events)


def run_sink(
    tmp: Path, events: list[AuditEvent], shippers: list[Shipper], sanitize: Any = None
) -> tuple[list[int], float, float]:
    """emit() latencies (ns), seconds from the first emit until every shipper has everything, and the CPU
    seconds the process spent meanwhile (all threads: the per-core cost)."""
    sink = TamperEvidentAuditSink(tmp / "keys", tmp / "spool", shippers, queue_max=len(events) + 1, sanitize=sanitize)
    latencies = []
    cpu = time.process_time()
    start = time.perf_counter()
    for e in events:
        t0 = time.perf_counter_ns()
        sink.emit(e)
        latencies.append(time.perf_counter_ns() - t0)
    assert sink.close(timeout=600)
    return latencies, time.perf_counter() - start, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    events = [event(i) for i in range(args.events)]
    raw = raw_cost(events)
    results: dict[str, Any] = {"events": args.events, "raw_us_per_event": raw * 1e6, "raw_events_per_s": 1 / raw}
    tmp = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    try:
        keygen(tmp / "f" / "keys", log_id="bench/file")
        lat, seconds, cpu = run_sink(tmp / "f", events, [FileShipper(tmp / "f" / "trail.jsonl")])
        lat.sort()
        results["emit_p50_us"] = lat[len(lat) // 2] / 1000
        results["emit_p99_us"] = lat[int(len(lat) * 0.99)] / 1000
        results["emit_mean_us"] = statistics.fmean(lat) / 1000
        results["file_events_per_s"] = args.events / seconds
        results["file_events_per_cpu_s"] = args.events / cpu
        keygen(tmp / "n" / "keys", log_id="bench/nosan")
        _, seconds, _ = run_sink(tmp / "n", events, [FileShipper(tmp / "n" / "trail.jsonl")], sanitize=identity)
        results["file_events_per_s_no_sanitizer"] = args.events / seconds
        seed, _, public = load_verifier(tmp / "f" / "keys")
        start = time.perf_counter()
        report = verify_files([tmp / "f" / "trail.jsonl"], seed, public)
        verify_s = time.perf_counter() - start
        assert report.ok, report.to_json()
        results["verify_events_per_s"] = report.records / verify_s
        if available():
            keygen(tmp / "s" / "keys", log_id="bench/syslog")
            with rsyslog(tmp / "s") as server:
                _, seconds, _ = run_sink(
                    tmp / "s", events, [SyslogShipper("127.0.0.1", server.port, max_message=65536)]
                )
                got = server.wait_for(args.events, timeout=120)
                seconds_rx = seconds if len(got) >= args.events else float("nan")
            results["rsyslog_events_per_s"] = args.events / seconds_rx
        else:
            results["rsyslog_events_per_s"] = None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        _print(results)
    return 0


def _print(r: dict[str, Any]) -> None:
    print(f"raw json+hmac      {r['raw_us_per_event']:8.2f} µs/event  ({r['raw_events_per_s']:,.0f} events/s)")
    print(f"emit() p50         {r['emit_p50_us']:8.2f} µs        ({r['emit_p50_us'] / r['raw_us_per_event']:.2f}x raw)")
    print(f"emit() p99         {r['emit_p99_us']:8.2f} µs        ({r['emit_p99_us'] / r['raw_us_per_event']:.2f}x raw)")
    print(f"file sink e2e      {r['file_events_per_s']:8,.0f} events/s  "
          f"({r['raw_events_per_s'] / r['file_events_per_s']:.2f}x raw cost per event; sanitizer on)")  # fmt: skip
    print(f"file sink per CPU  {r['file_events_per_cpu_s']:8,.0f} events/CPU-s  (all threads; sanitizer on)")
    nosan = r["file_events_per_s_no_sanitizer"]
    print(f"file sink e2e      {nosan:8,.0f} events/s  "
          f"({r['raw_events_per_s'] / nosan:.2f}x raw cost per event; sanitize=identity)")  # fmt: skip
    if r["rsyslog_events_per_s"] is not None:
        rate = r["rsyslog_events_per_s"]
        print(f"rsyslog e2e        {rate:8,.0f} events/s  "
              f"({r['raw_events_per_s'] / rate:.2f}x raw cost per event; sanitizer on)")  # fmt: skip
    print(f"verifier           {r['verify_events_per_s']:8,.0f} events/s  "
          f"({r['raw_events_per_s'] / r['verify_events_per_s']:.2f}x raw cost per event)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
