"""The deploy pipeline's logic with fakes of the tools, the deployer and the cluster: order, skips, dry run,
fail-closed stages and the report."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from bakerst_hardened.deploy.pipeline import STAGES, Collaborators, DeployOptions, run_deploy
from bakerst_hardened.deploy.stages import Report, Stage, StageFailed, Status, format_table, run_stages
from tests.deploy.fakes import (
    OTHER_KEY,
    FakeDeployer,
    FakeProbe,
    FakeRunner,
    FakeWorld,
    Vuln,
    stack_settings,
    world_for_stack,
)

TOOL_DIR = Path("/opt/tools/bin")
TODAY = date.today()


def _deploy(
    tmp_path: Path,
    world: FakeWorld,
    options: DeployOptions | None = None,
    *,
    missing: frozenset[str] = frozenset(),
    deployer: FakeDeployer | None = None,
    config: dict[str, object] | None = None,
) -> Report:
    deployer = deployer if deployer is not None else FakeDeployer()

    def probe(settings: object) -> FakeProbe:
        ours = [ref for ref in world.images if ref.startswith("registry.bakerst.internal/")]
        return FakeProbe(images=ours)

    deps = Collaborators(
        runner=FakeRunner(world),
        deployer=deployer,
        probe=probe,
        locate=lambda name: None if name in missing else TOOL_DIR / name,
        today=lambda: TODAY,
        work_dir=tmp_path,
    )
    return run_deploy(stack_settings(tmp_path, **(config or {})), options or DeployOptions(), deps)


def _statuses(report: Report) -> dict[str, str]:
    return {r.name: str(r.status) for r in report.results}


def test_full_run_in_order_on_digests_only(tmp_path: Path) -> None:
    world, deployer = world_for_stack(), FakeDeployer()
    report = _deploy(tmp_path, world, deployer=deployer)
    assert report.ok, format_table(report)
    assert [r.name for r in report.results] == list(STAGES)
    assert set(_statuses(report).values()) == {"ok"}
    # Stage order in the tool calls: versions, mirror, scan, SBOM + attestation, signature, verification.
    commands = [c for c in world.commands() if not c.endswith("version")]
    first = {
        name: commands.index(name)
        for name in ("crane copy", "trivy image", "syft scan", "cosign attest", "cosign sign")
    }
    assert (
        first["crane copy"] < first["trivy image"] < first["syft scan"] < first["cosign attest"] < first["cosign sign"]
    )
    # After the mirror every tool sees only repository@sha256 references in the enterprise registry.
    for tool, args in world.calls:
        if tool in {"trivy", "cosign", "syft"} and args[0] in {"image", "sign", "attest", "scan", "verify"}:
            ref = args[1] if tool == "syft" else args[-1]
            assert "registry.bakerst.internal/" in ref and "@sha256:" in ref, (tool, args)
    # The deployed digests are the signed ones.
    assert deployer.calls[0][0] == "up"
    assert set(deployer.calls[0][1].values()) == world.signed == world.attested
    # The Kyverno pairing: old signature format, no tlog upload with ignoreTlog.
    sign_args = next(args for tool, args in world.calls if tool == "cosign" and args[0] == "sign")
    assert "--new-bundle-format=false" in sign_args and "--tlog-upload=false" in sign_args


def test_table_and_json(tmp_path: Path) -> None:
    report = _deploy(tmp_path, world_for_stack())
    table = format_table(report)
    assert table.splitlines()[0].split() == ["stage", "duration", "result", "detail"]
    assert "deploy of stack 'test' succeeded" in table
    data = json.loads(json.dumps(report.as_dict()))
    assert data["ok"] is True and data["failedStage"] is None
    assert [s["stage"] for s in data["stages"]] == list(STAGES)
    assert all({"stage", "result", "seconds", "detail"} <= set(s) for s in data["stages"])


def test_missing_tool_named_before_anything_happens(tmp_path: Path) -> None:
    world = world_for_stack()
    before = world.snapshot()
    report = _deploy(tmp_path, world, missing=frozenset({"trivy", "syft"}))
    assert report.failed_stage == "prerequisites"
    detail = report.results[1].detail
    assert "trivy not found" in detail and "scripts/tools build trivy" in detail and "syft not found" in detail
    assert _statuses(report)["mirror"] == "not-run"
    assert world.snapshot() == before
    assert not any(c.startswith("crane digest") for c in world.commands())


def test_old_or_other_major_version_refused(tmp_path: Path) -> None:
    world = world_for_stack()
    world.versions["cosign"] = "GitVersion: v2.6.1\n"
    world.versions["trivy"] = "Version: 0.70.0\n"
    report = _deploy(tmp_path, world)
    detail = report.results[1].detail
    assert report.failed_stage == "prerequisites"
    assert "cosign at /opt/tools/bin/cosign is v2.6.1; this project needs v3.1.3" in detail
    assert "trivy" in detail and "v0.70.0" in detail


def test_skip_scan_needs_no_trivy_and_says_so(tmp_path: Path) -> None:
    world = world_for_stack()
    world.vulns = [Vuln("musl", "CVE-2026-0001", "CRITICAL")]
    report = _deploy(tmp_path, world, DeployOptions(skip_scan=True), missing=frozenset({"trivy"}))
    assert report.ok, format_table(report)
    assert _statuses(report)["scan"] == "skipped"
    assert "--skip-scan" in report.results[STAGES.index("scan")].detail
    assert "trivy" not in world.commands()


def test_skip_sign_ends_in_a_refusal_not_a_silent_success(tmp_path: Path) -> None:
    world = world_for_stack()
    report = _deploy(tmp_path, world, DeployOptions(skip_sign=True))
    statuses = _statuses(report)
    assert statuses["sign"] == "skipped" and "--skip-sign" in report.results[STAGES.index("sign")].detail
    assert not world.signed and "cosign sign" not in world.commands()
    assert report.failed_stage == "verify"
    assert "no signatures found" in report.results[-1].detail


def test_skip_sbom_skips_only_the_attestation(tmp_path: Path) -> None:
    world = world_for_stack()
    report = _deploy(tmp_path, world, DeployOptions(skip_sbom=True), missing=frozenset({"syft"}))
    statuses = _statuses(report)
    assert statuses["sbom"] == "skipped" and statuses["sign"] == "ok"
    assert not world.attested and world.signed
    assert report.failed_stage == "verify"  # the stack requires a CycloneDX attestation: verification refuses


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    world, deployer = world_for_stack(), FakeDeployer()
    before = world.snapshot()
    report = _deploy(tmp_path, world, DeployOptions(dry_run=True), deployer=deployer)
    assert report.ok, format_table(report)
    assert world.snapshot() == before
    assert not {"crane copy", "cosign sign", "cosign attest"} & set(world.commands())
    assert [call[0] for call in deployer.calls] == ["preview"]
    statuses = _statuses(report)
    assert statuses["mirror"] == statuses["sbom"] == statuses["sign"] == statuses["deploy"] == "dry-run"
    assert statuses["scan"] == "ok" and statuses["verify"] == "skipped"
    assert "(dry run) succeeded" in format_table(report)


def test_scan_fails_on_critical_naming_the_advisory(tmp_path: Path) -> None:
    world = world_for_stack()
    world.vulns = [Vuln("musl", "CVE-2026-0001", "CRITICAL"), Vuln("zlib", "CVE-2026-0002", "LOW")]
    report = _deploy(tmp_path, world)
    assert report.failed_stage == "scan"
    detail = report.results[STAGES.index("scan")].detail
    assert "CVE-2026-0001 (CRITICAL) in musl" in detail and "CVE-2026-0002" not in detail
    assert not world.signed and not world.attested
    assert _statuses(report)["deploy"] == "not-run"


def test_threshold_is_configurable(tmp_path: Path) -> None:
    world = world_for_stack()
    world.vulns = [Vuln("zlib", "CVE-2026-0002", "LOW")]
    report = _deploy(tmp_path, world, config={"bakerst-deploy:scan": {"severities": ["CRITICAL", "HIGH", "LOW"]}})
    assert report.failed_stage == "scan" and "CVE-2026-0002 (LOW)" in report.results[3].detail


def _allow(tmp_path: Path, expires: date, package: str = "musl") -> dict[str, object]:
    entry = {
        "vulnerability": "CVE-2026-0001",
        "package": package,
        "reason": "not reachable: the image never parses untrusted input",
        "expires": expires.isoformat(),
    }
    (tmp_path / "allow.yaml").write_text(json.dumps({"entries": [entry]}))
    return {"bakerst-deploy:scan": {"allowList": "allow.yaml"}}


def test_allow_listed_goes_on_expired_stops(tmp_path: Path) -> None:
    world = world_for_stack()
    world.vulns = [Vuln("musl", "CVE-2026-0001", "CRITICAL")]
    report = _deploy(tmp_path, world, config=_allow(tmp_path, TODAY + timedelta(days=30)))
    assert report.ok, format_table(report)
    assert "not reachable" in report.results[STAGES.index("scan")].detail
    # The last valid day is the expiry date itself.
    assert _deploy(tmp_path, world_for_stack(), config=_allow(tmp_path, TODAY)).ok
    world = world_for_stack()
    world.vulns = [Vuln("musl", "CVE-2026-0001", "CRITICAL")]
    report = _deploy(tmp_path, world, config=_allow(tmp_path, TODAY - timedelta(days=1)))
    assert report.failed_stage == "scan"
    detail = report.results[STAGES.index("scan")].detail
    assert f"CVE-2026-0001 (package musl) expired on {(TODAY - timedelta(days=1)).isoformat()}" in detail


def test_allow_list_entry_for_another_package_does_not_allow(tmp_path: Path) -> None:
    world = world_for_stack()
    world.vulns = [Vuln("musl", "CVE-2026-0001", "CRITICAL")]
    report = _deploy(tmp_path, world, config=_allow(tmp_path, TODAY + timedelta(days=30), package="openssl"))
    assert report.failed_stage == "scan"


def test_allow_list_entry_needs_a_reason(tmp_path: Path) -> None:
    (tmp_path / "allow.yaml").write_text("entries:\n  - {vulnerability: CVE-1, expires: 2030-01-01}\n")
    report = _deploy(tmp_path, world_for_stack(), config={"bakerst-deploy:scan": {"allowList": "allow.yaml"}})
    assert report.failed_stage == "scan"
    assert "entries.0.reason: Field required" in report.results[STAGES.index("scan")].detail


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            "FATAL Fatal error: init error: DB error: failed to download vulnerability DB: OCI artifact error",
            "trivy has no vulnerability database",
        ),
        ("FATAL unable to inspect the image: connection refused", "trivy failed on"),
    ],
)
def test_scan_that_cannot_judge_is_a_failure(tmp_path: Path, error: str, expected: str) -> None:
    world = world_for_stack()
    world.trivy_error = error
    report = _deploy(tmp_path, world)
    assert report.failed_stage == "scan"
    assert expected in report.results[STAGES.index("scan")].detail


def test_untrusted_signing_key_fails_before_signing(tmp_path: Path) -> None:
    world = world_for_stack()
    world.public_key = OTHER_KEY
    report = _deploy(tmp_path, world, DeployOptions(skip_sbom=True))
    assert report.failed_stage == "sign"
    assert "not among the stack's imageSignature.keys.publicKeys" in report.results[STAGES.index("sign")].detail
    assert not world.signed


def test_config_problems_listed_together(tmp_path: Path) -> None:
    report = _deploy(
        tmp_path,
        world_for_stack(),
        config={"bakerst-deploy:sources": {"extra:1": "x/y:1"}, "bakerst-deploy:signing": None},
    )
    assert report.failed_stage == "config"
    detail = report.results[0].detail
    assert "no source image for 'app:1'" in detail and "no source image for 'nats:2.10-alpine'" in detail
    assert "'extra:1' is not a bakerst:images key" in detail
    assert all(r.status is Status.NOT_RUN for r in report.results[1:])


def test_unknown_source_fails_the_mirror(tmp_path: Path) -> None:
    world = world_for_stack()
    del world.images["docker.io/library/nats:2.10"]
    report = _deploy(tmp_path, world)
    assert report.failed_stage == "mirror"
    assert "cannot resolve docker.io/library/nats:2.10 to a digest" in report.results[2].detail


def test_post_deploy_problems_fail_verify(tmp_path: Path) -> None:
    world = world_for_stack()
    deps = Collaborators(
        runner=FakeRunner(world),
        deployer=FakeDeployer(),
        probe=lambda _s: FakeProbe(images=[], problem_list=["Deployment/brain in bakerst: 0/1 available"]),
        locate=lambda name: TOOL_DIR / name,
        work_dir=tmp_path,
    )
    report = run_deploy(stack_settings(tmp_path), DeployOptions(), deps)
    assert report.failed_stage == "verify" and "0/1 available" in report.results[-1].detail


def test_unexpected_error_fails_closed_naming_the_stage() -> None:
    def boom() -> str:
        raise KeyError("surprise")

    report = run_stages("s", [Stage("a", lambda: "fine"), Stage("b", boom), Stage("c", lambda: "never")], dry_run=False)
    assert [str(r.status) for r in report.results] == ["ok", "failed", "not-run"]
    assert report.failed_stage == "b" and "KeyError" in report.results[1].detail
    assert "failed at stage 'b'" in format_table(report)


def test_stage_failed_message_is_the_detail() -> None:
    def fails() -> str:
        raise StageFailed("nope, because")

    report = run_stages("s", [Stage("x", fails)], dry_run=False)
    assert report.results[0].detail == "nope, because"


def test_cli_json_names_the_failed_stage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bakerst_hardened.cli import main
    from tests.conftest import REPO_ROOT

    # The dev stack without its bakerst-deploy:sources: the command stops at its first stage and says why.
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    stack = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    del stack["config"]["bakerst-deploy:sources"]
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack))
    code = main(["deploy", "--stack", "dev", "--project", str(tmp_path), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert data["failedStage"] == "config" and data["ok"] is False
    assert "bakerst-deploy:sources has no source image" in data["stages"][0]["detail"]
    assert [s["result"] for s in data["stages"]][1:] == ["not-run"] * (len(STAGES) - 1)


def test_first_phase_is_the_admission_policies_and_external_secrets_with_their_children() -> None:
    from bakerst_hardened.deploy.deployer import first_phase

    prefix = "urn:pulumi:dev::bakerst-hardened::bakerst:platform:HardenedPlatform"
    assert first_phase(f"{prefix}$bakerst:admission:AdmissionPolicies::platform-admission")
    assert first_phase(
        f"{prefix}$bakerst:admission:AdmissionPolicies$kubernetes:kyverno.io/v1:ClusterPolicy::platform-admission-x"
    )
    assert first_phase(f"{prefix}$bakerst:secrets:ExternalSecrets$kubernetes:external-secrets.io/v1:ExternalSecret::e")
    assert not first_phase(f"{prefix}$bakerst:app:BakerStreetApp$kubernetes:apps/v1:Deployment::brain")
    assert not first_phase("not-a-urn")


def test_the_deployer_and_the_probe_tools_are_prerequisites_too(tmp_path: Path) -> None:
    world = world_for_stack()
    report = _deploy(tmp_path, world, missing=frozenset({"pulumi", "kubectl"}))
    detail = report.results[1].detail
    assert report.failed_stage == "prerequisites"
    assert "pulumi not found; build it with `scripts/tools build pulumi`" in detail
    assert "kubectl not found; install kubectl v1.30 or newer (Debian: apt-get install kubectl)" in detail
    # A dry run verifies nothing after it, so it needs no kubectl.
    assert _deploy(tmp_path, world_for_stack(), DeployOptions(dry_run=True), missing=frozenset({"kubectl"})).ok
    world = world_for_stack()
    world.versions["kubectl"] = "Client Version: v1.29.9\n"
    report = _deploy(tmp_path, world)
    assert "kubectl at /opt/tools/bin/kubectl is v1.29.9; this project needs v1.30.0" in report.results[1].detail
