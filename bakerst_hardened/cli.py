"""``bakerst-hardened``: the operator's command line.

Subcommands:
  render --stack NAME --out DIR [--project DIR] [--config K=V]... [--policy-config FILE] [--json]
      Render a stack offline to plain Kubernetes YAML (no cluster, no Pulumi CLI) and run the policy pack
      over it; exit 3 when a mandatory policy is violated.
  guardrails eval --input FILE --text-field F --label-field L --positive V [--kind output|input] [--by FIELD] [--json]
      Run the real guardrail chain over a labelled file: recall, false-positive rate, latency.
  audit keygen|install-writer|emit|verify
      Key material, emitting through the real tamper-evident sink, and verifying an exported trail.
  hooks serve --config FILE [--host H] [--port P]
      The hooks over HTTP (guardrails, audit, LLM admission, approvals) for the brain; see README.
  hooks openapi [--out FILE]
      Print (or write) the service's OpenAPI document (checked in as docs/hooks-openapi.json).
  deploy --stack NAME [--skip-scan] [--skip-sign] [--skip-sbom] [--dry-run] [--json]
      Mirror, scan, SBOM-attest, sign, deploy and verify the stack's images; prints a stage table and exits
      non-zero naming the failed stage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_CONFIG = 2
EXIT_POLICY_VIOLATION = 3


def _default_project_dir() -> Path:
    """The directory holding ``Pulumi.yaml``: the current one, or the checkout this package came from."""
    cwd = Path.cwd()
    if (cwd / "Pulumi.yaml").is_file():
        return cwd
    return Path(__file__).resolve().parent.parent


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bakerst-hardened", description="Security-hardened Baker Street: operator tools."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    render = sub.add_parser(
        "render",
        help="render a stack offline to plain Kubernetes YAML",
        description="Run the Pulumi program under the SDK mock runtime and write every Kubernetes object "
        "it would create as YAML (one file per object, grouped by namespace) plus summary.json.",
    )
    render.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    render.add_argument("--out", required=True, type=Path, help="output directory (new, empty, or an earlier render)")
    render.add_argument(
        "--project", type=Path, default=None, help="project directory (default: the one with Pulumi.yaml)"
    )
    render.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="NAMESPACE:KEY=VALUE",
        help="override one config value for this render, as `pulumi config set` would (repeatable); "
        'objects as JSON, e.g. --config \'bakerst:admission={"failureAction": "Audit"}\'',
    )
    render.add_argument(
        "--policy-config",
        type=Path,
        default=None,
        help="policy pack config JSON, as `pulumi preview --policy-pack-config` takes "
        "(default: policies/config/<stack>.json when it exists)",
    )
    render.add_argument("--json", action="store_true", help="print the summary and policy report as JSON on stdout")

    guardrails = sub.add_parser("guardrails", help="guardrail chain tools").add_subparsers(
        dest="guardrails_command", required=True
    )
    evaluate = guardrails.add_parser(
        "eval",
        help="run the real guardrail chain over a labelled JSONL file and report recall, FPR and latency",
        description="Rates are deduplicated on text; latency is per chain call. Plain or gzip-compressed JSONL.",
    )
    evaluate.add_argument("--input", required=True, type=Path, help="labelled JSONL (or .jsonl.gz)")
    evaluate.add_argument("--text-field", required=True, help="field holding the text (or the arguments object)")
    evaluate.add_argument("--label-field", required=True, help="field holding the label")
    evaluate.add_argument("--positive", required=True, help="label value that marks a positive (an attack)")
    evaluate.add_argument(
        "--kind",
        choices=("output", "input"),
        default="output",
        help="scan as a tool result (output, default) or as tool arguments (input)",
    )
    evaluate.add_argument("--tool-field", help="field naming the tool (input kind)")
    evaluate.add_argument("--schema-field", help="field holding the tool's function-calling schema (input kind)")
    evaluate.add_argument("--config", type=Path, help="guardrail config YAML (default: the built-in defaults)")
    evaluate.add_argument("--by", metavar="FIELD", help="also report the figures per value of this field")
    evaluate.add_argument("--decisions", type=Path, help="write one JSON decision per input row, in order")
    evaluate.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    from bakerst_hardened import audit_cli

    audit_cli.register(sub)

    from bakerst_hardened.deploy import command as deploy_command

    deploy_command.register(sub)

    hooks = sub.add_parser("hooks", help="the hooks service (HTTP API for the brain)").add_subparsers(
        dest="hooks_command", required=True
    )
    serve = hooks.add_parser(
        "serve",
        help="serve the hooks API (FastAPI on uvicorn)",
        description="Builds the real guardrail chain, tamper-evident audit sink and governance from one config "
        "file (the HooksRuntime ConfigMap's documents, inline or by path) and serves them. Refuses to start, "
        "naming them, when the token variables the config names are unset.",
    )
    serve.add_argument("--config", required=True, type=Path, help="hooks service config (e.g. docs/hooks.example.yaml)")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8787, help="port (default 8787)")
    openapi = hooks.add_parser("openapi", help="print the service's OpenAPI document")
    openapi.add_argument("--out", type=Path, help="write it here instead of stdout")
    return parser


def _print_human(summary: dict[str, Any], out_dir: Path, seconds: float, stream: TextIO) -> None:
    print(
        f"Rendered stack {summary['stack']!r} of project {summary['project']!r}: "
        f"{summary['objectCount']} Kubernetes objects in {seconds:.1f} s -> {out_dir}",
        file=stream,
    )
    print("  by namespace:", file=stream)
    for namespace, count in summary["objectsByNamespace"].items():
        print(f"    {namespace:<24} {count}", file=stream)
    print("  by kind:", file=stream)
    for kind, count in summary["objectsByKind"].items():
        print(f"    {kind:<24} {count}", file=stream)
    print("  exports:", file=stream)
    for key, value in summary["exports"].items():
        shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        print(f"    {key:<24} {shown}", file=stream)


def _render(args: argparse.Namespace) -> int:
    # Imported here so that `--help` and other subcommands do not pay for the Pulumi SDK import.
    from bakerst_hardened.policy_check import REPORT_FILE, check_render
    from bakerst_hardened.recording_mocks import KubectlMissingError, RecordingMocks
    from bakerst_hardened.render import RenderError, run_program, write_render
    from bakerst_hardened.stack_file import StackFileError, parse_override
    from components.config_errors import StackConfigError
    from policies.offline import PolicyConfigError, format_report

    project_dir: Path = args.project or _default_project_dir()
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:5.1f}s] {message}", file=sys.stderr, flush=True)

    try:
        overrides = dict(parse_override(text) for text in args.config)
        mocks = RecordingMocks()
        result = run_program(project_dir, args.stack, progress=progress, config_overrides=overrides, mocks=mocks)
        progress(f"running the policy pack over {len(mocks.resources)} resources")
        report, config_path = check_render(result, mocks, project_dir, args.policy_config)
        policy_summary = {**report.as_dict(), "config": str(config_path) if config_path else None}
        progress(f"writing {len(result.manifests)} objects and {REPORT_FILE} to {args.out}")
        summary = write_render(result, args.out, extra_files={REPORT_FILE: policy_summary})
    except PolicyConfigError as exc:
        _fail(args, "policy-config", str(exc), [])
        return EXIT_BAD_CONFIG
    except StackConfigError as exc:
        _fail(args, "config", str(exc), [str(issue) for issue in exc.issues])
        return EXIT_BAD_CONFIG
    except (StackFileError, RenderError, KubectlMissingError) as exc:
        _fail(args, "render", str(exc), [])
        return EXIT_FAILED
    seconds = time.perf_counter() - started
    if args.json:
        json.dump(
            {
                "ok": report.ok,
                "seconds": round(seconds, 3),
                "outDir": str(args.out.resolve()),
                **summary,
                "policyReport": policy_summary,
            },
            sys.stdout,
            indent=2,
        )
        print()
    else:
        _print_human(summary, args.out, seconds, sys.stdout)
        print(format_report(report), file=sys.stdout)
    if not report.ok:
        print(
            f"error: {report.mandatory_violations} mandatory policy violation(s); see {args.out / REPORT_FILE}",
            file=sys.stderr,
        )
        return EXIT_POLICY_VIOLATION
    return EXIT_OK


def _fail(args: argparse.Namespace, kind: str, message: str, issues: list[str]) -> None:
    if getattr(args, "json", False):
        json.dump({"ok": False, "error": kind, "message": message, "issues": issues}, sys.stdout, indent=2)
        print()
    print(f"error: {message}", file=sys.stderr)


def _guardrails_eval(args: argparse.Namespace) -> int:
    from bakerst_hardened.labelled_rows import RowsError, read_labelled_rows
    from hooks.guardrails.config import GuardrailConfigError, load_guardrail_config
    from hooks.guardrails.evaluation import evaluate

    started = time.perf_counter()
    try:
        config = load_guardrail_config(args.config) if args.config else None
        rows = read_labelled_rows(
            args.input,
            text_field=args.text_field,
            label_field=args.label_field,
            positive=args.positive,
            tool_field=args.tool_field,
            schema_field=args.schema_field,
            group_field=args.by,
        )
    except (RowsError, GuardrailConfigError) as exc:
        _fail(args, "input", str(exc), [])
        return EXIT_BAD_CONFIG
    print(f"evaluating {len(rows)} rows from {args.input} ({args.kind})", file=sys.stderr, flush=True)

    def progress(done: int, total: int) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {done}/{total}", file=sys.stderr, flush=True)

    report, decisions = evaluate(rows, kind=args.kind, config=config, progress=progress)
    if args.decisions:
        with args.decisions.open("w", encoding="utf-8") as out:
            for d in decisions:
                out.write(
                    json.dumps(
                        {
                            "index": d.index,
                            "label": d.positive,
                            "flagged": d.flagged,
                            "score": d.score,
                            "rule": d.rule,
                            "ms": round(d.ms, 4),
                        }
                    )
                    + "\n"
                )
    summary = {"input": str(args.input), "kind": args.kind, **report.as_dict()}
    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        print()
    else:
        print(
            f"{args.input} ({args.kind}): {report.rows} rows, {report.unique_positives} unique positives, "
            f"{report.unique_negatives} unique negatives"
        )
        print(
            f"  recall {report.recall:.1%} ({report.true_positives}/{report.unique_positives})   "
            f"false positives {report.fpr:.2%} ({report.false_positives}/{report.unique_negatives})"
        )
        print(f"  latency per call: p50 {report.p50_ms:.3f} ms, p99 {report.p99_ms:.3f} ms")
        for rule, count in list(report.rules.items())[:10]:
            print(f"  flagged by {rule}: {count}")
        for name, group in report.groups.items():
            print(
                f"  {args.by}={name}: recall {group.recall:.1%} ({group.true_positives}/{group.unique_positives})   "
                f"false positives {group.fpr:.2%} ({group.false_positives}/{group.unique_negatives})"
            )
    return EXIT_OK


def _hooks(args: argparse.Namespace) -> int:
    from hooks.service.config import ServiceConfigError
    from hooks.service.serve import offline_openapi, serve

    if args.hooks_command == "openapi":
        document = offline_openapi()
        if args.out:
            args.out.write_text(document, encoding="utf-8")
        else:
            sys.stdout.write(document)
        return EXIT_OK
    try:
        serve(args.config, args.host, args.port)
    except ServiceConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "render":
        return _render(args)
    if args.command == "guardrails" and args.guardrails_command == "eval":
        return _guardrails_eval(args)
    if args.command == "hooks":
        return _hooks(args)
    if args.command == "deploy":
        from bakerst_hardened.deploy import command as deploy_command

        return deploy_command.run(args, args.project or _default_project_dir())
    if args.command == "audit":
        from bakerst_hardened import audit_cli

        return audit_cli.run(args)
    return EXIT_FAILED  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
