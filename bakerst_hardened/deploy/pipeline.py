"""The deploy pipeline: config, prerequisites, mirror, scan, sbom, sign, deploy, verify, in that order.

Every stage works on the digests the mirror stage produced. ``--skip-*`` records the stage as skipped (with what
that means for admission); ``--dry-run`` runs every check that mutates nothing (digests resolved but nothing
copied, the scan, SBOMs made but not attached, the signing key checked against the stack's policy,
``pulumi preview``) and skips the post-deploy verification.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from bakerst_hardened.deploy import mirror, sbom, scan, sign, verify
from bakerst_hardened.deploy.allowlist import AllowListError, load_allow_list
from bakerst_hardened.deploy.deployer import Deployer
from bakerst_hardened.deploy.mirror import MirroredImage
from bakerst_hardened.deploy.settings import DeploySettings, DeploySettingsError, deploy_settings
from bakerst_hardened.deploy.stages import Report, Stage, StageFailed, run_stages
from bakerst_hardened.deploy.tools import ToolRunner, check_tools, find_tool
from bakerst_hardened.stack_file import StackSettings

STAGES = ("config", "prerequisites", "mirror", "scan", "sbom", "sign", "deploy", "verify")


@dataclass(frozen=True)
class DeployOptions:
    skip_scan: bool = False
    skip_sign: bool = False
    skip_sbom: bool = False
    dry_run: bool = False


def _utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass
class Collaborators:
    """Everything the pipeline touches outside this process (fakes in unit tests)."""

    runner: ToolRunner
    deployer: Deployer
    probe: Callable[[DeploySettings], verify.ClusterProbe] | None = None
    """Post-deploy reader of the cluster; ``None``: the verify stage fails (no cluster to check)."""
    locate: Callable[[str], Path | None] = find_tool
    today: Callable[[], date] = _utc_today
    work_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bakerst-deploy-")))
    deploy_tools: tuple[str, ...] = ("pulumi",)
    """What the deployer runs (the Automation API drives the Pulumi CLI); a fake needs none."""
    verify_tools: tuple[str, ...] = ("kubectl",)
    """What the cluster probe runs; a fake needs none."""


def required_tools(
    options: DeployOptions, deploy_tools: tuple[str, ...] = (), verify_tools: tuple[str, ...] = ()
) -> list[str]:
    tools = ["crane"]
    if not options.skip_scan:
        tools.append("trivy")
    if not options.skip_sbom:
        tools += ["syft", "cosign"]
    if "cosign" not in tools:
        tools.append("cosign")  # sign, and verify (post-deploy and after signing)
    tools += deploy_tools
    if not options.dry_run:  # a dry run deploys nothing, so there is nothing to verify
        tools += verify_tools
    return tools


@dataclass
class _State:
    settings: DeploySettings | None = None
    images: list[MirroredImage] = field(default_factory=list)

    def need(self) -> DeploySettings:
        assert self.settings is not None  # the config stage ran first
        return self.settings


def _skip_reason(flag: str, consequence: str) -> str:
    return f"skipped by {flag}: {consequence}"


def build_stages(raw: StackSettings, options: DeployOptions, deps: Collaborators) -> list[Stage]:
    state = _State()
    dry = options.dry_run

    def config() -> str:
        try:
            state.settings = deploy_settings(raw)
        except DeploySettingsError as exc:
            raise StageFailed(str(exc)) from None
        s = state.settings
        method = "key-based" if s.signature.keys is not None else "keyless"
        return f"{len(s.images)} image(s); {method} signatures, SBOM attestation {s.signature.sbom_attestation}"

    def prerequisites() -> str:
        checks = check_tools(required_tools(options, deps.deploy_tools, deps.verify_tools), deps.runner, deps.locate)
        problems = [c.problem for c in checks if c.problem]
        if problems:
            raise StageFailed("; ".join(problems))
        return ", ".join(f"{c.name} v{c.version}" for c in checks)

    def mirror_stage() -> str:
        state.images = mirror.mirror_images(deps.runner, state.need().images, dry_run=dry)
        return mirror.summary(state.images, dry_run=dry)

    def scan_stage() -> str:
        s = state.need()
        try:
            allow = load_allow_list(s.allow_list_path)
        except AllowListError as exc:
            raise StageFailed(str(exc)) from None
        return scan.scan_images(
            deps.runner, state.images, scan=s.scan, allow=allow, today=deps.today(), project_dir=str(s.project_dir)
        )

    def sbom_stage() -> str:
        return sbom.attest_images(deps.runner, state.need(), state.images, deps.work_dir, dry_run=dry)

    def sign_stage() -> str:
        s = state.need()
        detail = sign.sign_images(deps.runner, s, state.images, dry_run=dry)
        if not dry:
            problems = [
                p
                for image in state.images
                for p in verify.verify_image(
                    deps.runner, s.signature, image.reference, attestation=not options.skip_sbom
                )
            ]
            if problems:
                raise StageFailed("signed, but the signatures do not verify: " + "; ".join(problems))
            detail += "; verified with cosign"
        return detail

    def deploy_stage() -> str:
        s = state.need()
        images = {image.name: image.reference for image in state.images}
        return deps.deployer.preview(s.stack, images) if dry else deps.deployer.up(s.stack, images)

    def verify_stage() -> str:
        s = state.need()
        if deps.probe is None:
            raise StageFailed("no cluster to verify (no kubeconfig/probe available)")
        return verify.verify_deployment(deps.runner, deps.probe(s), s.signature, s.registries)

    admission = "the stack's Kyverno policy refuses images without it"
    return [
        Stage("config", config),
        Stage("prerequisites", prerequisites),
        Stage("mirror", mirror_stage, dry_run=dry),
        Stage(
            "scan",
            scan_stage,
            skip=_skip_reason("--skip-scan", "images not scanned for vulnerabilities") if options.skip_scan else None,
        ),
        Stage(
            "sbom",
            sbom_stage,
            skip=_skip_reason("--skip-sbom", f"no SBOM attestation; {admission} when it requires one")
            if options.skip_sbom
            else None,
            dry_run=dry,
        ),
        Stage(
            "sign",
            sign_stage,
            skip=_skip_reason("--skip-sign", f"images not signed; {admission}") if options.skip_sign else None,
            dry_run=dry,
        ),
        Stage("deploy", deploy_stage, dry_run=dry),
        Stage("verify", verify_stage, skip="dry run: nothing was deployed" if dry else None),
    ]


def run_deploy(raw: StackSettings, options: DeployOptions, deps: Collaborators) -> Report:
    return run_stages(raw.stack, build_stages(raw, options, deps), dry_run=options.dry_run)
