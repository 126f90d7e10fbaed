"""``bakerst-hardened deploy --stack dev`` end to end on the e2e control plane, with Kyverno's admission and reports
controllers running against it: mirror, scan, sbom, sign, deploy (``pulumi up`` through the Automation API, the
policy pack on) and verify (every workload available, every Kyverno policy ready, no failing policy report, every
running image verified with cosign), then the refusals a real cluster gives when signing is skipped.

The stack is the shipped ``Pulumi.dev.yaml`` (its ``bakerst-deploy:`` keys included) with three substitutions a
user makes too: the registry hosts point at the test's loopback registry, the public key is the test's, and
``bakerst:baseDir`` is the upstream checkout beside the repository. The seven source images are built in the test
(``crane append``), the trivy database is written by the test and served from that registry.

Runs last in the lane (file order): once Kyverno's webhooks are registered every later request passes through them.
The tests run in order on one deployment: the signed deploy, a signing key from a Kubernetes Secret (``k8s://``),
``--skip-sign`` while the policy audits (admitted; the verify stage and the policy report refuse it), and
``--skip-sign`` while it enforces (refused at admission). Enforce to Audit is not the last step on purpose: the
deploy's preview dry-runs the workloads against the policies the cluster has *before* the update, so a run that
relaxes the policy and deploys unsigned images at once is refused by the old policy.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from bakerst_hardened.deploy.tools import find_tool
from tests.deploy.tooling import ENV as TOOL_ENV
from tests.deploy.tooling import build_image, registry, require_tools
from tests.deploy.trivydb import Advisory, push_db, write_cache_dir
from tests.e2e.cluster import REPO_ROOT, Cluster, tools_environment
from tests.e2e.kyverno import Kyverno, kyverno_refusal
from tests.e2e.stacks import UPSTREAM_K8S, Project

pytestmark = [pytest.mark.supply_chain]

APP_NS, TASK_NS = "bakerst", "bakerst-tasks"
HOSTS = ("registry.bakerst.internal", "docker.io")
#: A CRITICAL advisory for a package the test images do not hold: the database is real and read, nothing matches.
UNRELATED = Advisory("CVE-2026-49999", "openssl", "3.1.4-r6", "CRITICAL")


@pytest.fixture(scope="module")
def kyverno(cluster: Cluster, tools_env: dict[str, str]) -> Iterator[Kyverno]:
    _env, missing = tools_environment(("kyverno",))
    if missing:
        pytest.skip("Kyverno's controllers are not built (run `scripts/tools build kyverno`)")
    controllers = Kyverno(cluster, Path(tools_env["BSH_KYVERNO_CRDS"]))
    try:
        controllers.start()
        yield controllers
    finally:
        controllers.stop()
        print(f"\nKyverno start-up (cumulative s): {controllers.timings}")


def _substitute(value: Any, registry_address: str) -> Any:
    if isinstance(value, str):
        for host in HOSTS:
            value = value.replace(host, registry_address)
        return value
    if isinstance(value, list):
        return [_substitute(v, registry_address) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, registry_address) for k, v in value.items()}
    return value


@dataclass
class DevDeploy:
    """A fresh copy of the project whose ``dev`` stack deploys images from a loopback registry."""

    project: Project
    registry: str
    crane: Path
    cosign: Path
    work: Path
    shipped: dict[str, Any]
    generation: int = 0
    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def stack_file(self) -> Path:
        return self.project.directory / "Pulumi.dev.yaml"

    def env(self) -> dict[str, str]:
        return {
            **self.project.env,
            **{k: TOOL_ENV[k] for k in ("SYFT_CHECK_FOR_APP_UPDATE", "COSIGN_PASSWORD")},
            "TRIVY_DISABLE_VEX_NOTICE": "true",
            "PYTHONPATH": str(REPO_ROOT),
        }

    def configure(self, public_keys: list[str], signing_key: str, **overrides: Any) -> None:
        """The shipped stack with the loopback registry, the given keys, the upstream base and ``overrides``."""
        config = _substitute(json.loads(json.dumps(self.shipped["config"])), self.registry)
        current = yaml.safe_load(self.stack_file.read_text())["config"]
        config["bakerst:images"] = _substitute(current["bakerst:images"], self.registry)  # the last deploy's
        config["bakerst:baseDir"] = str(UPSTREAM_K8S)
        config["bakerst:imageSignature"]["keys"]["publicKeys"] = public_keys
        config["bakerst-deploy:signing"] = {"key": signing_key}
        config.update(overrides)
        self.stack_file.write_text(yaml.safe_dump({"config": config}, sort_keys=False))

    def new_sources(self) -> dict[str, str]:
        """Build every source image again with new content (so new digests, never signed): name to digest."""
        self.generation += 1
        sources = _substitute(self.shipped["config"]["bakerst-deploy:sources"], self.registry)
        digests = {}
        for name, source in sources.items():
            slug = name.replace("/", "_").replace(":", "_")
            extra = {"etc/motd": f"{name} generation {self.generation}\n"}
            built = build_image(self.crane, source, self.work / f"img-{self.generation}-{slug}", extra)
            digests[name] = built.digest
        return digests

    def deploy(self, *flags: str) -> tuple[int, dict[str, Any]]:
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bakerst_hardened.cli",
                "deploy",
                "--stack",
                "dev",
                "--project",
                str(self.project.directory),
                "--json",
                *flags,
            ],
            cwd=REPO_ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=1500,
            check=False,
        )
        try:
            report: dict[str, Any] = json.loads(done.stdout)
        except json.JSONDecodeError:
            raise AssertionError(
                f"no JSON report (exit {done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}"
            ) from None
        report["_seconds"] = round(time.monotonic() - started, 1)
        self.runs.append(report)
        return done.returncode, report


def _stages(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["stage"]: s for s in report["stages"]}


def _show(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=1)[-6000:]


@pytest.fixture(scope="module")
def dev(
    project: Project,
    cluster: Cluster,
    kyverno: Kyverno,
    tools_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DevDeploy]:
    tools: dict[str, Path] = require_tools("crane", "cosign", "syft", "trivy")
    helper = find_tool("trivy-db-fixture")
    if helper is None:
        pytest.skip("trivy-db-fixture not found: build it with `scripts/tools build trivy-db-fixture`")
    work = tmp_path_factory.mktemp("dev-deploy")
    with registry(tools["crane"], work / "registry") as address:
        copy = Project.fresh_copy(work / "baker-street-hardened", work / "backend", tools_env, cluster.kubeconfig)
        # The policy pack's virtualenv as the lane installed it (`pulumi install` in the session's copy).
        (copy.directory / "policies" / "venv").symlink_to(project.directory / "policies" / "venv")
        cache = write_cache_dir(helper, [UNRELATED], work / "trivy-cache")
        push_db(cache / "db", address, repository="mirror/trivy-db", tag="2")
        shipped = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
        state = DevDeploy(copy, address, tools["crane"], tools["cosign"], work, shipped)
        yield state
        print("\ndeploy runs (s): " + ", ".join(f"{r.get('failedStage') or 'ok'} {r['_seconds']}" for r in state.runs))


def _cosign_key_pair(dev: DevDeploy, prefix: str) -> str:
    """``cosign generate-key-pair --output-key-prefix`` (a file, or a KMS reference such as ``k8s://NS/NAME``); the
    public key in PEM."""
    if "://" in prefix:
        _cosign(dev, "generate-key-pair", prefix)
        return _cosign(dev, "public-key", "--key", prefix)
    (dev.project.directory / prefix).parent.mkdir(parents=True, exist_ok=True)
    _cosign(dev, "generate-key-pair", "--output-key-prefix", prefix)
    return (dev.project.directory / f"{prefix}.pub").read_text()


def _cosign(dev: DevDeploy, *args: str) -> str:
    """Run cosign in the project directory with the lane's environment; its standard output."""
    done = subprocess.run(
        [str(dev.cosign), *args],
        cwd=dev.project.directory,
        env=dev.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _kubectl_json(cluster: Cluster, *args: str) -> Any:
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def _policy_reports(cluster: Cluster) -> list[dict[str, Any]]:
    return [r for ns in (APP_NS, TASK_NS) for r in _kubectl_json(cluster, "policyreports", "-n", ns)["items"]]


def _failing_results(cluster: Cluster) -> list[str]:
    return [
        f"{r['policy']}/{r.get('rule')} on {[res.get('name') for res in r.get('resources', [])]}: {r.get('message')}"
        for report in _policy_reports(cluster)
        for r in report.get("results") or []
        if r.get("result") in ("fail", "error")
    ]


def _wait_for(what: str, check: Any, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(2)


def test_dev_deploys_end_to_end_and_verifies_in_the_cluster(dev: DevDeploy, cluster: Cluster) -> None:
    public = _cosign_key_pair(dev, "deploy/dev-cosign")  # where the shipped stack looks for it
    dev.configure([public], dev.shipped["config"]["bakerst-deploy:signing"]["key"])
    digests = dev.new_sources()
    code, report = dev.deploy()
    stages = _stages(report)
    assert code == 0 and report["ok"], _show(report)
    assert all(s["result"] == "ok" for s in report["stages"]), _show(report)
    assert "7 image(s)" in stages["config"]["detail"]
    assert "7 running image(s) verified with cosign" in stages["verify"]["detail"], _show(report)
    deployed = json.loads(yaml.safe_load(dev.stack_file.read_text())["config"]["bakerst:images"])
    assert {name: ref.split("@")[1] for name, ref in deployed.items()} == digests
    assert all(ref.startswith(f"{dev.registry}/") for ref in deployed.values())
    # What the verify stage read, read again here: Kyverno made every policy Ready, the pods run the digests.
    policies = _kubectl_json(cluster, "clusterpolicies.kyverno.io")["items"]
    assert {p["metadata"]["name"] for p in policies} >= {"require-image-signature", "restrict-registries"}
    for p in policies:
        assert any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"]), p["metadata"]
    images = {
        c["image"] for pod in _kubectl_json(cluster, "pods", "-n", APP_NS)["items"] for c in pod["spec"]["containers"]
    }
    assert images and images <= set(deployed.values()), images
    # Kyverno's reports controller turns the admission results into PolicyReports: they exist and none fails.
    reports = _wait_for("Kyverno's policy reports for the app namespace", lambda: _policy_reports(cluster))
    passed = sum((r.get("summary") or {}).get("pass", 0) for r in reports)
    assert passed > 0 and _failing_results(cluster) == [], _failing_results(cluster)


def test_signing_key_from_a_kubernetes_secret(dev: DevDeploy, cluster: Cluster) -> None:
    """A KMS-style key reference cosign resolves itself: ``k8s://NAMESPACE/SECRET`` against the e2e API server
    (the secret made by ``cosign generate-key-pair k8s://...``). The whole deploy signs with it and verifies."""
    cluster.kubectl("create", "namespace", "bakerst-signing")
    reference = "k8s://bakerst-signing/cosign-dev"
    public = _cosign_key_pair(dev, reference)
    secret = _kubectl_json(cluster, "secret", "cosign-dev", "-n", "bakerst-signing")
    assert {"cosign.key", "cosign.pub", "cosign.password"} <= set(secret["data"])
    # The stack trusts the new key beside the first one: what already runs stays verifiable (a key rotation).
    first = yaml.safe_load(dev.stack_file.read_text())["config"]["bakerst:imageSignature"]["keys"]["publicKeys"]
    dev.configure([*first, public], reference)
    dev.new_sources()
    code, report = dev.deploy()
    stages = _stages(report)
    assert code == 0 and report["ok"], _show(report)
    assert reference in stages["sign"]["detail"], stages["sign"]["detail"]
    assert "7 running image(s) verified with cosign" in stages["verify"]["detail"], _show(report)


def test_skip_sign_in_audit_mode_is_admitted_and_the_verification_fails(dev: DevDeploy, cluster: Cluster) -> None:
    """``dev`` only audits: the unsigned images are admitted, and the verify stage refuses the result (cosign on the
    running images; Kyverno's policy report records the failed signature check)."""
    config = yaml.safe_load(dev.stack_file.read_text())["config"]
    dev.configure(config["bakerst:imageSignature"]["keys"]["publicKeys"], config["bakerst-deploy:signing"]["key"])
    digests = dev.new_sources()
    code, report = dev.deploy("--skip-sign")
    stages = _stages(report)
    assert code == 1 and report["failedStage"] == "verify", _show(report)
    assert stages["deploy"]["result"] == "ok", _show(report)
    assert "cosign verify" in stages["verify"]["detail"], stages["verify"]["detail"]
    assert any(digest in stages["verify"]["detail"] for digest in digests.values()), stages["verify"]["detail"]
    # Kyverno admitted them (Audit) and recorded the failed check: its reports controller puts it in a PolicyReport.
    failing = _wait_for(
        "a failing require-image-signature result in Kyverno's policy reports",
        lambda: [f for f in _failing_results(cluster) if f.startswith("require-image-signature/")],
    )
    assert "no signatures found" in " ".join(failing), failing


def test_skip_sign_ends_in_an_admission_refusal_when_the_policy_enforces(dev: DevDeploy, cluster: Cluster) -> None:
    """``--skip-sign`` with the policy enforcing (what enterprise does): Kyverno's webhook refuses the workloads."""
    config = yaml.safe_load(dev.stack_file.read_text())["config"]
    dev.configure(
        config["bakerst:imageSignature"]["keys"]["publicKeys"],
        config["bakerst-deploy:signing"]["key"],
        **{"bakerst:admission": {"failureAction": "Enforce"}},
    )
    refused = dev.new_sources()
    code, report = dev.deploy("--skip-sign")
    stages = _stages(report)
    assert code == 1 and report["failedStage"] == "deploy", _show(report)
    assert stages["sign"]["result"] == "skipped" and "--skip-sign" in stages["sign"]["detail"]
    detail = stages["deploy"]["detail"]
    assert kyverno_refusal(detail) and "require-image-signature" in detail, detail
    assert "no signatures found" in detail, detail
    # Nothing runs the refused digests.
    running = {
        c["image"] for p in _kubectl_json(cluster, "pods", "-n", APP_NS)["items"] for c in p["spec"]["containers"]
    }
    assert not {ref for ref in running if ref.split("@")[-1] in refused.values()}, running
