"""``bakerst-hardened audit``: keygen, install-writer, emit (JSON lines on stdin through the real sink), verify.

Wired into ``bakerst_hardened.cli`` with ``register(subparsers)`` and dispatched with ``run(args)``.
Exit codes: 0 ok / intact trail, 1 findings or undelivered events, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2


def register(subparsers: Any) -> None:
    audit = subparsers.add_parser("audit", help="tamper-evident audit trail: keygen, emit, verify")
    sub = audit.add_subparsers(dest="audit_command", required=True)

    keygen = sub.add_parser(
        "keygen",
        help="create the MAC seed and the Ed25519 checkpoint key pair",
        description="Writes DIR/verifier (MAC seed + public key: give to auditors, remove from the host) and "
        "DIR/writer (initial chain state + signing key: for the application).",
    )
    keygen.add_argument("--out", required=True, type=Path, help="directory to create the keys in")
    keygen.add_argument("--log-id", help="log id (origin) for the trail (default: bakerst/<uuid>)")
    keygen.add_argument("--json", action="store_true")

    install = sub.add_parser(
        "install-writer",
        help="install a writer's key material (from a mounted Secret) into its state directory, once",
        description="Copies checkpoint.key and state.json from DIR (keygen's writer/) into TO/writer, unless TO "
        "already holds that log's chain (it has ratcheted since and is kept). Refuses another log's material.",
    )
    install.add_argument("--from", dest="source", required=True, type=Path, help="directory with the material")
    install.add_argument("--to", dest="target", required=True, type=Path, help="the hooks service's auditKeys dir")
    install.add_argument("--json", action="store_true")

    emit = sub.add_parser(
        "emit",
        help="read events as JSON lines on stdin, emit them through the real sink and shippers, flush and exit",
        description='Each line: {"action": "tool.executed", "actor": "u1", "detail": {...}, "timestamp": ISO-8601?}.',
    )
    emit.add_argument("--keys", required=True, type=Path, help="key directory from keygen (uses its writer/)")
    emit.add_argument("--file-sink", action="append", default=[], type=Path, help="JSON-lines file sink (repeatable)")
    emit.add_argument("--syslog", action="append", default=[], metavar="HOST:PORT", help="RFC 5424 TCP sink")
    emit.add_argument("--spool", type=Path, help="on-disk queue directory (default: KEYS/writer/spool)")
    emit.add_argument("--flush-events", type=int, default=100)
    emit.add_argument("--flush-interval", type=float, default=5.0)
    emit.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for delivery at exit")
    emit.add_argument("--json", action="store_true")

    verify = sub.add_parser(
        "verify",
        help="verify exported trail files (JSON lines) with the verifier's key material",
        description="Reports modified, deleted, reordered, replayed records, a truncated tail, records after the "
        "last checkpoint and gaps in the checkpoint cadence. Exit 0 only for an intact trail.",
    )
    verify.add_argument("paths", nargs="+", type=Path, metavar="FILE")
    keys_help = "key directory (uses its verifier/; without mac_seed.hex only the public checks run)"
    verify.add_argument("--keys", required=True, type=Path, help=keys_help)
    verify.add_argument("--live", action="store_true", help="the log is still being written: no final checkpoint")
    verify.add_argument("--max-checkpoint-gap", type=int, default=70, help="seconds (default 70: 60 s heartbeat)")
    verify.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    command = args.audit_command
    if command == "keygen":
        return _keygen(args)
    if command == "emit":
        return _emit(args)
    if command == "install-writer":
        return _install_writer(args)
    return _verify(args)


def _keygen(args: argparse.Namespace) -> int:
    from hooks.audit.keys import keygen

    try:
        result = keygen(args.out, args.log_id)
    except FileExistsError as exc:
        return _error(args, str(exc))
    if args.json:
        print(json.dumps({"ok": True, **result}))
    else:
        print(f"log id:   {result['log_id']}")
        print(f"verifier: {result['verifier']}  (MAC seed + public key: hand to the auditors, keep off the host)")
        print(f"writer:   {result['writer']}  (chain state + signing key: for the application)")
    return EXIT_OK


def _install_writer(args: argparse.Namespace) -> int:
    from hooks.audit.keys import install_writer

    try:
        outcome = install_writer(args.source, args.target)
    except (ValueError, OSError) as exc:
        return _error(args, str(exc))
    if args.json:
        print(json.dumps({"ok": True, "outcome": outcome, "writer": str(args.target / "writer")}))
    elif outcome == "installed":
        print(f"installed the writer's key material into {args.target / 'writer'}")
    else:
        print(f"kept the chain already in {args.target / 'writer'} (same log; it has moved on since)")
    return EXIT_OK


def _event(line: str, number: int) -> Any:
    from hooks.audit.taxonomy import make_event

    doc = json.loads(line)
    if not isinstance(doc, dict):
        raise ValueError(f"line {number}: not a JSON object")
    ts = datetime.fromisoformat(doc["timestamp"]) if "timestamp" in doc else None
    return make_event(str(doc["action"]), str(doc["actor"]), doc.get("detail") or {}, timestamp=ts)


def _emit(args: argparse.Namespace) -> int:
    from hooks.audit.keys import writer_dir
    from hooks.audit.shippers.base import Shipper
    from hooks.audit.shippers.file import FileShipper
    from hooks.audit.shippers.syslog import SyslogShipper
    from hooks.audit.sink import TamperEvidentAuditSink

    shippers: list[Shipper] = [FileShipper(p) for p in args.file_sink]
    for target in args.syslog:
        host, _, port = target.rpartition(":")
        if not host or not port.isdigit():
            return _error(args, f"--syslog {target!r}: expected HOST:PORT")
        shippers.append(SyslogShipper(host, int(port)))
    if not shippers:
        return _error(args, "give at least one --file-sink or --syslog")
    events = []
    try:
        for number, line in enumerate(sys.stdin, 1):
            if line.strip():
                events.append(_event(line, number))
    except (ValueError, KeyError) as exc:
        return _error(args, f"bad event: {exc}")
    spool = args.spool or writer_dir(args.keys) / "spool"
    sink = TamperEvidentAuditSink(
        args.keys, spool, shippers, flush_events=args.flush_events, flush_interval=args.flush_interval
    )
    for event in events:
        sink.emit(event)
    delivered = sink.close(timeout=args.timeout)
    state = sink.writer.state_json()
    summary = {"ok": delivered, "events": len(events), "next_seq": state["seq"], "epoch": state["epoch"],
               "metrics": sink.metrics, "sinks": [s.name for s in shippers]}  # fmt: skip
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"emitted {len(events)} events; trail now at seq {state['seq']}, epoch {state['epoch']}")
        print(
            f"delivered to {', '.join(summary['sinks'])}: {'yes' if delivered else 'NO (kept in ' + str(spool) + ')'}"
        )
    return EXIT_OK if delivered else EXIT_FINDINGS


def _verify(args: argparse.Namespace) -> int:
    from hooks.audit.keys import load_public_verifier
    from hooks.audit.verify import verify_files

    try:
        seed, _, public = load_public_verifier(args.keys)
        report = verify_files(args.paths, seed, public, live=args.live, max_checkpoint_gap=args.max_checkpoint_gap)
    except OSError as exc:
        return _error(args, str(exc))
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        state = "INTACT" if report.ok else "NOT INTACT"
        print(f"{state}: {report.records} records read, {report.unique} unique, {report.duplicates} duplicates "
              f"(redelivered), {report.checkpoints} checkpoints, log {', '.join(report.log_ids) or '-'}")  # fmt: skip
        if report.public_only:
            print("  (public key only: record MACs not checked; modifications show as Merkle root mismatches)")
        for finding in report.findings:
            print(f"  {finding.kind:<16} {finding.message}")
    return EXIT_OK if report.ok else EXIT_FINDINGS


def _error(args: argparse.Namespace, message: str) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "error": message}))
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (tests, ``python -m bakerst_hardened.audit_cli``) until the lead wires it into the CLI."""
    parser = argparse.ArgumentParser(prog="bakerst-hardened")
    register(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
