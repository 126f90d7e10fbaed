"""The deploy pipeline with the real tools on loopback: a crane registry, images built with ``crane append``, syft
SBOMs, cosign key-based signatures and attestations, and Kyverno's CLI applying the stack's own rendered
``require-image-signature`` policy. Skipped, naming what is missing, without the tools (CI builds them)."""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bakerst_hardened.deploy.cosign import write_flags
from bakerst_hardened.deploy.pipeline import STAGES, Collaborators, DeployOptions, run_deploy
from bakerst_hardened.deploy.settings import deploy_settings
from bakerst_hardened.deploy.stages import Report
from bakerst_hardened.deploy.tools import SubprocessRunner, find_tool
from bakerst_hardened.render import run_program
from bakerst_hardened.stack_file import StackSettings, read_stack_settings
from tests.conftest import BASE_DIR_OVERRIDE, REPO_ROOT, require_upstream
from tests.deploy.fakes import FakeDeployer, FakeProbe
from tests.deploy.tooling import (
    ENV,
    BuiltImage,
    KeyPair,
    build_image,
    key_pair,
    registry,
    require_real_clock,
    require_tools,
    run,
)
from tests.deploy.trivydb import Advisory, push_db, write_cache_dir

pytestmark = [pytest.mark.supply_chain, pytest.mark.slow]


@dataclass
class Chain:
    """A loopback registry with upstream images, two key pairs, and the stack settings pointing at them."""

    registry: str
    tools: dict[str, Path]
    good: KeyPair
    other: KeyPair
    work: Path
    sources: dict[str, BuiltImage]

    def settings(self, name: str, **extra: object) -> StackSettings:
        """A key-based, air-gapped stack deploying the upstream image ``name`` to ``REG/bakerst/<name>``."""
        config: dict[str, object] = {
            "bakerst:images": {f"{name}:1": f"{self.registry}/bakerst/{name}@sha256:{'0' * 64}"},
            "bakerst:registries": [self.registry],
            "bakerst:imageSignature": {
                "keys": {"publicKeys": [self.good.public_pem], "ignoreTlog": True, "ignoreSct": True},
                "sbomAttestation": "cyclonedx",
            },
            "bakerst-deploy:sources": {f"{name}:1": self.sources[name].tag},
            "bakerst-deploy:signing": {"key": str(self.good.private)},
            **extra,
        }
        wire = {k: json.dumps(v) for k, v in config.items()}
        return StackSettings("bakerst-hardened", f"test-{name}", wire, self.work / f"Pulumi.test-{name}.yaml")

    def deploy(self, name: str, options: DeployOptions, **extra: object) -> tuple[Report, FakeDeployer]:
        runner = SubprocessRunner(base_env=dict(ENV))
        deployer = FakeDeployer()

        def probe(_settings: object) -> FakeProbe:  # what would run: the digests the deployer was given
            return FakeProbe(images=[ref for _verb, images in deployer.calls for ref in images.values()])

        deps = Collaborators(
            runner=runner, deployer=deployer, probe=probe, work_dir=self.work, deploy_tools=(), verify_tools=()
        )
        return run_deploy(self.settings(name, **extra), options, deps), deployer


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    tools = require_tools("crane", "cosign", "syft")
    work = tmp_path_factory.mktemp("chain")
    with registry(tools["crane"], work / "registry") as reg:
        sources = {
            name: build_image(tools["crane"], f"{reg}/upstream/{name}:1", work / f"img-{name}", {"etc/motd": name})
            for name in ("good", "unsigned", "wrongkey", "nosbom", "dry", "vulnerable")
        }
        yield Chain(
            reg,
            tools,
            key_pair(tools["cosign"], work / "good"),
            key_pair(tools["cosign"], work / "other"),
            work,
            sources,
        )


def _show(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=1)


def _status(report: Report) -> dict[str, str]:
    return {r.name: str(r.status) for r in report.results}


def _detail(report: Report, stage: str) -> str:
    return report.results[STAGES.index(stage)].detail


def _cosign(chain: Chain, *args: str) -> tuple[int, str]:
    done = run(chain.tools["cosign"], args, check=False)
    return done.returncode, done.stderr


@pytest.fixture(scope="module")
def deployed(chain: Chain) -> dict[str, str]:
    """The pipeline (scan skipped here; the scan gate has its own tests) for each case; name to digest ref."""
    refs: dict[str, str] = {}
    report, deployer = chain.deploy("good", DeployOptions(skip_scan=True))
    assert report.ok, _show(report)
    refs["good"] = deployer.calls[0][1]["good:1"]
    # --skip-sign (and --skip-sbom): mirrored but unsigned; the verification refuses it.
    report, deployer = chain.deploy("unsigned", DeployOptions(skip_scan=True, skip_sign=True, skip_sbom=True))
    assert report.failed_stage == "verify", _show(report)
    refs["unsigned"] = deployer.calls[0][1]["unsigned:1"]
    # --skip-sbom: signed, no attestation.
    report, deployer = chain.deploy("nosbom", DeployOptions(skip_scan=True, skip_sbom=True))
    assert report.failed_stage == "verify", _show(report)
    assert "verify-attestation" in _detail(report, "verify")
    refs["nosbom"] = deployer.calls[0][1]["nosbom:1"]
    # Another key: the pipeline refuses to sign with a key the stack does not trust, so sign by hand.
    report, deployer = chain.deploy(
        "wrongkey", DeployOptions(skip_scan=True), **{"bakerst-deploy:signing": {"key": str(chain.other.private)}}
    )
    assert report.failed_stage == "sbom", _show(report)
    assert "not among the stack's imageSignature.keys.publicKeys" in _detail(report, "sbom")
    wrong = f"{chain.registry}/bakerst/wrongkey@{chain.sources['wrongkey'].digest}"
    run(chain.tools["crane"], ["copy", chain.sources["wrongkey"].by_digest, wrong])
    signature = deploy_settings(chain.settings("wrongkey")).signature
    sbom = chain.work / "wrongkey.cdx.json"
    run(chain.tools["syft"], ["scan", f"registry:{wrong}", "-o", f"cyclonedx-json={sbom}", "-q"])
    key = ["--key", str(chain.other.private)]
    run(chain.tools["cosign"], ["sign", *key, *write_flags(signature, wrong), wrong])
    run(
        chain.tools["cosign"],
        ["attest", *key, "--type", "cyclonedx", "--predicate", str(sbom), *write_flags(signature, wrong), wrong],
    )
    refs["wrongkey"] = wrong
    return refs


def test_pipeline_mirrors_attests_and_signs_the_digest(chain: Chain, deployed: dict[str, str]) -> None:
    good = deployed["good"]
    assert good == f"{chain.registry}/bakerst/good@{chain.sources['good'].digest}"  # mirrored by digest
    verify = [
        "--key",
        str(chain.good.public),
        "--insecure-ignore-tlog",
        "--allow-http-registry",
        "--allow-insecure-registry",
    ]
    assert _cosign(chain, "verify", *verify, good)[0] == 0
    code, _ = _cosign(chain, "verify-attestation", *verify, "--type", "cyclonedx", good)
    assert code == 0
    # The attestation's predicate is syft's CycloneDX SBOM of the image: it lists the apk package.
    out = run(chain.tools["cosign"], ["verify-attestation", *verify, "--type", "cyclonedx", good]).stdout.splitlines()[
        0
    ]
    statement = json.loads(base64.b64decode(json.loads(out)["payload"]))
    assert statement["predicateType"] == "https://cyclonedx.org/bom"
    assert any(c.get("name") == "musl" for c in statement["predicate"]["components"])


@pytest.mark.parametrize(
    ("case", "verify_code"), [("unsigned", "verify"), ("nosbom", "verify-attestation"), ("wrongkey", "verify")]
)
def test_cosign_refuses_the_bad_cases(chain: Chain, deployed: dict[str, str], case: str, verify_code: str) -> None:
    verify = [
        "--key",
        str(chain.good.public),
        "--insecure-ignore-tlog",
        "--allow-http-registry",
        "--allow-insecure-registry",
    ]
    extra = ["--type", "cyclonedx"] if verify_code == "verify-attestation" else []
    code, _ = _cosign(chain, verify_code, *verify, *extra, deployed[case])
    assert code != 0


def test_dry_run_changes_nothing_in_the_registry(chain: Chain) -> None:
    def state() -> dict[str, list[str]]:
        catalog = run(chain.tools["crane"], ["catalog", chain.registry]).stdout.split()
        return {
            repo: sorted(run(chain.tools["crane"], ["ls", f"{chain.registry}/{repo}"]).stdout.split())
            for repo in catalog
        }

    before = state()
    report, deployer = chain.deploy("dry", DeployOptions(skip_scan=True, dry_run=True))
    assert report.ok, _show(report)
    assert state() == before
    assert [verb for verb, _ in deployer.calls] == ["preview"]
    assert _status(report)["verify"] == "skipped" and _status(report)["sign"] == "dry-run"
    assert "made (not attached)" in _detail(report, "sbom")


# ------------------------------------------------------------------------------------------------------ Kyverno


def _render_image_policy(chain: Chain, directory: Path, *, air_gapped: bool) -> Path:
    """The dev stack's own rendered ``require-image-signature``, made key-based and enforcing for the loopback
    registry with the test's public key (config overrides through the offline render)."""
    require_tools("kubectl-kyverno")
    require_upstream()
    dev = read_stack_settings(REPO_ROOT, "dev")
    images = {
        k: v.replace("registry.bakerst.internal", chain.registry)
        for k, v in json.loads(dev.config["bakerst:images"]).items()
    }
    keys: dict[str, object] = {"publicKeys": [chain.good.public_pem]}
    if air_gapped:
        keys |= {"ignoreTlog": True, "ignoreSct": True}
    overrides = {
        **BASE_DIR_OVERRIDE,
        "bakerst:images": json.dumps(images),
        "bakerst:registries": json.dumps([chain.registry]),
        "bakerst:imageSignature": json.dumps({"keys": keys, "sbomAttestation": "cyclonedx"}),
        "bakerst:admission": json.dumps({"failureAction": "Enforce"}),
    }
    result = run_program(REPO_ROOT, "dev", config_overrides=overrides)
    (policy,) = [
        m
        for m in result.manifests
        if m["kind"] == "ClusterPolicy" and m["metadata"]["name"] == "require-image-signature"
    ]
    path = directory / f"require-image-signature{'-air-gapped' if air_gapped else ''}.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def image_policy(chain: Chain, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The air-gapped form (``imageSignature.keys.ignoreTlog``/``ignoreSct``), as the deploy signs here."""
    return _render_image_policy(chain, tmp_path_factory.mktemp("kyverno"), air_gapped=True)


def _kyverno_apply(chain: Chain, policy: Path, image: str, name: str) -> tuple[int, str]:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "bakerst"},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }
    resource = policy.parent / f"pod-{name}.yaml"
    resource.write_text(yaml.safe_dump(pod), encoding="utf-8")
    done = run(
        require_tools("kubectl-kyverno")["kubectl-kyverno"],
        ["apply", str(policy), "--resource", str(resource)],
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_kyverno_admits_the_signed_and_attested_image(
    chain: Chain, deployed: dict[str, str], image_policy: Path
) -> None:
    code, out = _kyverno_apply(chain, image_policy, deployed["good"], "good")
    # One rule for Pods and the two Kyverno generates from it (Deployment-like and CronJob): a policy it could
    # not parse would say "Applying 0 policy rule(s)" and exit 0, so the count is checked, not only the exit code.
    assert "Applying 3 policy rule(s) to 1 resource(s)" in out, out
    assert re.search(r"pass: [1-9]\d*, fail: 0, warn: 0, error: 0", out), out
    assert code == 0, out


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unsigned", ".attestors[0].entries[0].keys: no signatures found"),
        ("wrongkey", "no matching signatures: invalid signature when validating ASN.1 encoded signature"),
        ("nosbom", "image attestations verification failed, verifiedCount: 0, requiredCount: 1"),
    ],
)
def test_kyverno_refuses_with_its_message(
    chain: Chain, deployed: dict[str, str], image_policy: Path, case: str, message: str
) -> None:
    code, out = _kyverno_apply(chain, image_policy, deployed[case], case)
    assert "Applying 3 policy rule(s) to 1 resource(s)" in out, out
    assert re.search(r"fail: [1-9]", out) and message in out, out
    assert code != 0, out


# ------------------------------------------------------------------------------------------------- scan gate

ADVISORY = Advisory("CVE-2026-40001", "musl", "1.2.4-r3", "CRITICAL")  # the test image has musl 1.2.4-r2


@pytest.fixture(scope="module")
def trivy_db(chain: Chain) -> dict[str, str]:
    """The test's own vulnerability database, as a cache directory and as an OCI artifact in the registry."""
    require_tools("trivy")
    helper = find_tool("trivy-db-fixture")
    if helper is None:
        pytest.skip("trivy-db-fixture not found: build it with `scripts/tools build trivy-db-fixture`")
    cache = write_cache_dir(helper, [ADVISORY], chain.work / "trivy-cache")
    repository = push_db(cache / "db", chain.registry)
    return {"cacheDir": str(cache), "dbRepository": repository, "downloadDir": str(chain.work / "trivy-download")}


def _allow_list(chain: Chain, expires: date) -> str:
    path = chain.work / f"allow-{expires.isoformat()}.yaml"
    entry = {
        "vulnerability": ADVISORY.vulnerability,
        "package": "musl",
        "reason": "test: the image runs no code that reaches the flaw",
        "expires": expires.isoformat(),
    }
    path.write_text(yaml.safe_dump({"entries": [entry]}), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("source", ["cacheDir", "dbRepository"])
def test_scan_stops_at_the_advisory_allow_listed_goes_on_expired_stops(
    chain: Chain, trivy_db: dict[str, str], source: str
) -> None:
    scan: dict[str, object] = (
        {"cacheDir": trivy_db["cacheDir"]}
        if source == "cacheDir"
        else {"dbRepository": trivy_db["dbRepository"], "cacheDir": trivy_db["downloadDir"]}
    )
    report, _ = chain.deploy("vulnerable", DeployOptions(), **{"bakerst-deploy:scan": scan})
    assert report.failed_stage == "scan", _show(report)
    assert "CVE-2026-40001 (CRITICAL) in musl 1.2.4-r2" in _detail(report, "scan")
    assert _status(report)["sign"] == "not-run"

    today = datetime.now(UTC).date()
    allowed = {**scan, "allowList": _allow_list(chain, today + timedelta(days=30))}
    report, deployer = chain.deploy("vulnerable", DeployOptions(), **{"bakerst-deploy:scan": allowed})
    assert report.ok, _show(report)
    assert "test: the image runs no code" in _detail(report, "scan")
    assert deployer.calls[0][0] == "up"

    expired = {**scan, "allowList": _allow_list(chain, today - timedelta(days=1))}
    report, _ = chain.deploy("vulnerable", DeployOptions(), **{"bakerst-deploy:scan": expired})
    assert report.failed_stage == "scan", _show(report)
    assert f"CVE-2026-40001 (package musl) expired on {(today - timedelta(days=1)).isoformat()}" in _detail(
        report, "scan"
    )


@pytest.mark.parametrize("source", ["cacheDir", "dbRepository"])
def test_no_database_is_a_failure_never_a_pass(chain: Chain, tmp_path: Path, source: str) -> None:
    require_tools("trivy")
    scan: dict[str, object] = (
        {"cacheDir": str(tmp_path / "empty")}
        if source == "cacheDir"
        else {"dbRepository": f"{chain.registry}/no-such/trivy-db:2", "cacheDir": str(tmp_path / "dl")}
    )
    report, _ = chain.deploy("vulnerable", DeployOptions(), **{"bakerst-deploy:scan": scan})
    assert report.failed_stage == "scan", _show(report)
    assert "trivy has no vulnerability database" in _detail(report, "scan"), _show(report)


def test_without_the_air_gapped_options_kyverno_refuses_even_the_good_image(
    chain: Chain, deployed: dict[str, str], tmp_path: Path
) -> None:
    """Signed without a transparency log entry: a policy that still requires one refuses it, which is why the
    stack says so (``ignoreTlog``) and the deploy signs to match."""
    policy = _render_image_policy(chain, tmp_path, air_gapped=False)
    assert "ignoreTlog" not in policy.read_text()
    code, out = _kyverno_apply(chain, policy, deployed["good"], "good-online")
    assert "Applying 3 policy rule(s) to 1 resource(s)" in out, out
    assert re.search(r"fail: [1-9]", out), out
    assert code != 0, out


# ---------------------------------------------------------------------------------------------- the command


@pytest.fixture
def real_clock(pytestconfig: pytest.Config) -> None:
    require_real_clock(pytestconfig)


@pytest.mark.usefixtures("real_clock")
def test_the_command_end_to_end_up_to_the_cluster(
    chain: Chain,
    trivy_db: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``bakerst-hardened deploy --json`` on a project whose program only exports the digests it is given: every
    stage runs for real (tools, registry, test-made trivy DB, the Pulumi CLI with a file backend); without a
    cluster the post-deploy verification is the stage that fails, naming kubectl's error."""
    from bakerst_hardened.cli import main

    cli = find_tool("pulumi")
    if cli is None or not (cli.parent / "pulumi-language-python").is_file():
        pytest.skip("the Pulumi CLI and its Python language host are not built (`scripts/tools build pulumi`)")
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        yaml.safe_dump({"name": "deploytest", "runtime": {"name": "python", "options": {"virtualenv": sys.prefix}}})
    )
    (project / "__main__.py").write_text(
        "import json, pulumi\npulumi.export('images', json.loads(pulumi.Config('bakerst').require('images')))\n"
    )
    settings = chain.settings("good")
    config = {key: json.loads(value) for key, value in settings.config.items()}
    # Every test image carries the advisory's musl: accepted here for 30 days, with its reason.
    allow = _allow_list(chain, datetime.now(UTC).date() + timedelta(days=30))
    config["bakerst-deploy:scan"] = {"cacheDir": trivy_db["cacheDir"], "allowList": allow}
    (project / "Pulumi.e2e.yaml").write_text(yaml.safe_dump({"config": config}))
    (tmp_path / "backend").mkdir()
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'backend'}")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    monkeypatch.setenv("COSIGN_PASSWORD", "")
    monkeypatch.setenv("PATH", os.pathsep.join([str(cli.parent), os.environ.get("PATH", "")]))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-cluster.kubeconfig"))

    code = main(["deploy", "--stack", "e2e", "--project", str(project), "--json"])
    report = json.loads(capsys.readouterr().out)
    results = {stage["stage"]: stage for stage in report["stages"]}
    assert code == 1 and report["failedStage"] == "verify", json.dumps(report, indent=1)
    for stage in STAGES[:-1]:
        assert results[stage]["result"] == "ok", json.dumps(report, indent=1)
    assert "pulumi v3." in results["prerequisites"]["detail"] and "kubectl v1." in results["prerequisites"]["detail"]
    assert "allowed: CVE-2026-40001" in results["scan"]["detail"]
    assert "kubectl get" in results["verify"]["detail"]
    deployed = yaml.safe_load((project / "Pulumi.e2e.yaml").read_text())["config"]["bakerst:images"]
    assert json.loads(deployed) == {"good:1": f"{chain.registry}/bakerst/good@{chain.sources['good'].digest}"}
