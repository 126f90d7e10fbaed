"""``bakerst-hardened deploy --stack NAME [--skip-scan] [--skip-sign] [--skip-sbom] [--dry-run] [--json]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_CONFIG = 2


def register(sub: Any) -> None:
    deploy = sub.add_parser(
        "deploy",
        help="mirror, scan, SBOM, sign, deploy and verify a stack's images",
        description="Mirror each image the stack lists into the enterprise registry by digest, scan it (trivy), "
        "attach a CycloneDX SBOM attestation (syft, cosign), sign it (cosign, in the format the stack's Kyverno "
        "policy verifies), deploy those digests (pulumi up via the Automation API) and verify the result. "
        "Prints a stage table; exits non-zero naming the failed stage.",
    )
    deploy.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    deploy.add_argument(
        "--project", type=Path, default=None, help="project directory (default: the one with Pulumi.yaml)"
    )
    deploy.add_argument("--skip-scan", action="store_true", help="skip the vulnerability scan (recorded as skipped)")
    deploy.add_argument("--skip-sign", action="store_true", help="skip signing (admission will refuse the images)")
    deploy.add_argument("--skip-sbom", action="store_true", help="skip the SBOM attestation")
    deploy.add_argument(
        "--dry-run", action="store_true", help="run every check that mutates nothing; `pulumi preview` instead of up"
    )
    deploy.add_argument("--policy-pack", type=Path, default=None, help="policy pack directory (default: policies/)")
    deploy.add_argument("--json", action="store_true", help="print the stage report as JSON on stdout")


def _policy_pack(given: Path | None, project_dir: Path) -> Path | None:
    """The pack named on the command line, else the project's ``policies/`` when it has one."""
    if given is not None:
        return given
    default = project_dir / "policies"
    return default if (default / "PulumiPolicy.yaml").is_file() else None


def run(args: argparse.Namespace, project_dir: Path) -> int:
    from bakerst_hardened.deploy.deployer import AutomationDeployer
    from bakerst_hardened.deploy.pipeline import Collaborators, DeployOptions, run_deploy
    from bakerst_hardened.deploy.stages import format_table
    from bakerst_hardened.deploy.tools import SubprocessRunner
    from bakerst_hardened.deploy.verify import KubectlProbe
    from bakerst_hardened.stack_file import StackFileError, read_stack_settings

    try:
        raw = read_stack_settings(project_dir, args.stack)
    except StackFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    runner = SubprocessRunner()
    deps = Collaborators(
        runner=runner,
        deployer=AutomationDeployer(project_dir, policy_pack=_policy_pack(args.policy_pack, project_dir)),
        probe=lambda settings: KubectlProbe(runner, settings.namespaces),
    )
    options = DeployOptions(
        skip_scan=args.skip_scan, skip_sign=args.skip_sign, skip_sbom=args.skip_sbom, dry_run=args.dry_run
    )
    report = run_deploy(raw, options, deps)
    if args.json:
        json.dump(report.as_dict(), sys.stdout, indent=2)
        print()
    else:
        print(format_table(report))
    if not report.ok:
        print(f"error: deploy failed at stage {report.failed_stage!r}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
