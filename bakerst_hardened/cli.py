"""``bakerst-hardened``: the operator's command line.

Subcommands:
  render --stack NAME --out DIR [--project DIR] [--json]
      Render a stack offline to plain Kubernetes YAML (no cluster, no Pulumi CLI).
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
    render.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
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
    from bakerst_hardened.recording_mocks import KubectlMissingError
    from bakerst_hardened.render import RenderError, run_program, write_render
    from bakerst_hardened.stack_file import StackFileError, parse_override
    from components.config_errors import StackConfigError

    project_dir: Path = args.project or _default_project_dir()
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:5.1f}s] {message}", file=sys.stderr, flush=True)

    try:
        overrides = dict(parse_override(text) for text in args.config)
        result = run_program(project_dir, args.stack, progress=progress, config_overrides=overrides)
        progress(f"writing {len(result.manifests)} objects to {args.out}")
        summary = write_render(result, args.out)
    except StackConfigError as exc:
        _fail(args, "config", str(exc), [str(issue) for issue in exc.issues])
        return EXIT_BAD_CONFIG
    except (StackFileError, RenderError, KubectlMissingError) as exc:
        _fail(args, "render", str(exc), [])
        return EXIT_FAILED
    seconds = time.perf_counter() - started
    if args.json:
        json.dump(
            {"ok": True, "seconds": round(seconds, 3), "outDir": str(args.out.resolve()), **summary},
            sys.stdout,
            indent=2,
        )
        print()
    else:
        _print_human(summary, args.out, seconds, sys.stdout)
    return EXIT_OK


def _fail(args: argparse.Namespace, kind: str, message: str, issues: list[str]) -> None:
    if getattr(args, "json", False):
        json.dump({"ok": False, "error": kind, "message": message, "issues": issues}, sys.stdout, indent=2)
        print()
    print(f"error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "render":
        return _render(args)
    return EXIT_FAILED  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
