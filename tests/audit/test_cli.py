"""``bakerst-hardened audit keygen|emit|verify`` through ``audit_cli`` (the lead wires it into the main CLI)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bakerst_hardened import audit_cli


def _events(n: int) -> str:
    rows = [
        {"action": "llm.response", "actor": f"u{i}", "timestamp": "2026-11-24T12:00:00+00:00",
         "detail": {"model": "m", "request_id": f"r{i}", "input_tokens": 10, "output_tokens": 5,
                    "cost_micro_usd": 1234}}
        for i in range(n)
    ]  # fmt: skip
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_keygen_emit_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keys, trail = tmp_path / "k", tmp_path / "trail.jsonl"
    assert audit_cli.main(["audit", "keygen", "--out", str(keys), "--json"]) == 0
    assert sorted(p.name for p in (keys / "verifier").iterdir()) == ["checkpoint.pub", "mac_seed.hex"]
    assert "private" not in (keys / "verifier" / "checkpoint.pub").read_text()
    capsys.readouterr()
    for _ in range(2):
        monkeypatch.setattr("sys.stdin", io.StringIO(_events(250)))
        assert audit_cli.main(["audit", "emit", "--keys", str(keys), "--file-sink", str(trail), "--json"]) == 0
        summary = json.loads(capsys.readouterr().out)
        assert summary["ok"]
        assert summary["events"] == 250
    assert audit_cli.main(["audit", "verify", str(trail), "--keys", str(keys), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"]
    assert report["unique"] == 500 + report["checkpoints"]
    # Delete one record: exit 1 and a finding with its kind and sequence numbers.
    lines = trail.read_bytes().splitlines(keepends=True)
    trail.write_bytes(b"".join(lines[:10] + lines[11:]))
    assert audit_cli.main(["audit", "verify", str(trail), "--keys", str(keys), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert {"kind": "deleted", "seqs": [10]} in [{k: f[k] for k in ("kind", "seqs")} for f in report["findings"]]
    assert audit_cli.main(["audit", "verify", str(trail), "--keys", str(keys)]) == 1
    assert "NOT INTACT" in capsys.readouterr().out


def test_emit_rejects_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "k"
    assert audit_cli.main(["audit", "keygen", "--out", str(keys)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO('{"action": "tool.executed", "actor": "u", "detail": {"x": 1.5}}\n'))
    assert audit_cli.main(["audit", "emit", "--keys", str(keys), "--file-sink", str(tmp_path / "t")]) == 2
    assert audit_cli.main(["audit", "keygen", "--out", str(keys)]) == 2
