"""Syslog shipping: RFC 5424 framing unit checks, and delivery to a real rsyslogd on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hooks.audit.canonical import canonical_bytes
from hooks.audit.keys import load_verifier
from hooks.audit.shippers.base import PermanentError, RetryPolicy
from hooks.audit.shippers.file import FileShipper
from hooks.audit.shippers.syslog import SyslogShipper, format_message
from hooks.audit.sink import TamperEvidentAuditSink
from hooks.audit.verify import verify_lines
from tests.audit.helpers import build_trail, event, new_keys, record
from tests.audit.rsyslog import available, free_port, rsyslog


def test_rfc5424_header(tmp_path: Path) -> None:
    keys = new_keys(tmp_path)
    line = build_trail(keys, 1)[0]
    msg = format_message(line, "host-1", procid="42")
    ts = record(line)["ts"]
    assert ts.endswith("Z") and len(ts) == len("2026-11-24T12:00:05.000000Z")  # RFC 5424 TIMESTAMP, UTC, microseconds
    assert msg.startswith(f"<110>1 {ts} host-1 bakerst-audit 42 tool.executed ".encode())
    assert b'[audit@32473 seq="0"] {' in msg
    assert msg.endswith(line)
    checkpoint = build_trail(keys, 1)[-1]
    assert format_message(checkpoint, "h").startswith(b"<109>1 ")


def test_oversized_record_is_refused_not_truncated() -> None:
    record = {"seq": 0, "ts": "-", "action": "tool.executed", "detail": {"x": "a" * 9000}}
    shipper = SyslogShipper("127.0.0.1", 9, max_message=8192)
    with pytest.raises(PermanentError):
        shipper.send([canonical_bytes(record)])


@pytest.mark.server
@pytest.mark.skipif(available() is None, reason="rsyslogd is not installed (apt-get install rsyslog)")
def test_real_rsyslog_receives_a_verifiable_trail(tmp_path: Path) -> None:
    keys = new_keys(tmp_path)
    with rsyslog(tmp_path) as server:
        sink = TamperEvidentAuditSink(
            keys,
            tmp_path / "spool",
            [SyslogShipper("127.0.0.1", server.port), FileShipper(tmp_path / "file.jsonl")],
            flush_interval=0.05,
        )
        for i in range(2000):
            sink.emit(event(i))
        assert sink.close()
        expected = len((tmp_path / "file.jsonl").read_bytes().splitlines())
        received = server.wait_for(expected)
    assert len(received) == expected
    assert json.loads(received[0])["seq"] == 0
    seed, _, public = load_verifier(keys)
    report = verify_lines([(0, i + 1, line) for i, line in enumerate(received)], seed, public)
    assert report.ok, report.to_json()


@pytest.mark.server
@pytest.mark.skipif(available() is None, reason="rsyslogd is not installed (apt-get install rsyslog)")
def test_rsyslog_down_then_up(tmp_path: Path) -> None:

    keys = new_keys(tmp_path)
    port = free_port()  # nothing listens yet: connection refused, retried with backoff
    sink = TamperEvidentAuditSink(
        keys, tmp_path / "spool", [SyslogShipper("127.0.0.1", port)], flush_interval=0.05,
        retry=RetryPolicy(initial=0.01, cap=0.05),
    )  # fmt: skip
    for i in range(300):
        sink.emit(event(i))
    assert sink.flush()
    with rsyslog(tmp_path, port=port) as server:
        assert sink.close()
        received = server.wait_for(sink.writer.chain.seq)
    assert sink.metrics["delivery_retries"] > 0
    seed, _, public = load_verifier(keys)
    report = verify_lines([(0, i + 1, line) for i, line in enumerate(received)], seed, public)
    assert report.ok, report.to_json()


@pytest.mark.server
@pytest.mark.skipif(available() is None, reason="rsyslogd is not installed (apt-get install rsyslog)")
def test_cli_emit_to_rsyslog_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from bakerst_hardened import audit_cli

    keys, trail = tmp_path / "k", tmp_path / "trail.jsonl"
    assert audit_cli.main(["audit", "keygen", "--out", str(keys)]) == 0
    rows = "".join(
        json.dumps({"action": "secret.read", "actor": "svc", "detail": {"secret": f"db-{i}"}}) + "\n"
        for i in range(300)
    )
    with rsyslog(tmp_path) as server:
        monkeypatch.setattr("sys.stdin", io.StringIO(rows))
        argv = ["audit", "emit", "--keys", str(keys), "--file-sink", str(trail), "--syslog", f"127.0.0.1:{server.port}"]
        assert audit_cli.main(argv) == 0
        expected = len(trail.read_bytes().splitlines())
        received = server.wait_for(expected)
    exported = tmp_path / "from-rsyslog.jsonl"
    exported.write_bytes(b"".join(line + b"\n" for line in received))
    assert audit_cli.main(["audit", "verify", str(exported), "--keys", str(keys)]) == 0
    assert audit_cli.main(["audit", "verify", str(exported), str(trail), "--keys", str(keys)]) == 0
