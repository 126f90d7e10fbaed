"""The upstream app, wrapped: rendered over the real upstream base, hardened, and the base left untouched."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bakerst_hardened.recording_mocks import kustomize_build
from bakerst_hardened.render import RenderResult, run_program
from components.app_hardening import upstream_images
from tests.conftest import BASE_DIR_OVERRIDE, REPO_ROOT, UPSTREAM_K8S, require_upstream
from tests.pss_restricted import check_object, pod_specs_of

DIGEST_REF = re.compile(r"^[a-z0-9.-]+\.[a-z]+(:\d+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$")
PROJECT_LABELS = ("app.kubernetes.io/part-of", "app.kubernetes.io/managed-by", "bakerst.io/environment")


def _tree_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        digest.update(str(path.relative_to(directory)).encode())
        digest.update(oct(path.stat().st_mode).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def renders() -> dict[str, Any]:
    require_upstream()
    before = _tree_digest(UPSTREAM_K8S)
    results = {
        stack: run_program(REPO_ROOT, stack, config_overrides=BASE_DIR_OVERRIDE) for stack in ("enterprise", "dev")
    }
    return {"before": before, "after": _tree_digest(UPSTREAM_K8S), **results}


def _by(result: RenderResult, kind: str, name: str) -> dict[str, Any]:
    found = [m for m in result.manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        c
        for _, _, spec in pod_specs_of(obj)
        for field in ("initContainers", "containers", "ephemeralContainers")
        for c in spec.get(field) or []
    ]


def test_upstream_base_is_not_modified(renders: dict[str, Any]) -> None:
    assert renders["before"] == renders["after"]


def test_every_upstream_workload_is_rendered(renders: dict[str, Any]) -> None:
    upstream = kustomize_build(str(UPSTREAM_K8S))
    expected = {(o["kind"], o["metadata"]["name"]) for o in upstream if pod_specs_of(o)}
    rendered = {(m["kind"], m["metadata"]["name"]) for m in renders["enterprise"].manifests if pod_specs_of(m)}
    assert expected == rendered
    assert len(expected) == 8


def test_zero_images_not_pinned_by_digest(renders: dict[str, Any]) -> None:
    images = [c["image"] for m in renders["enterprise"].manifests for c in _containers(m)]
    assert len(images) == 8 + 2 * 3  # 8 upstream containers + the hooks sidecar's three in each brain pod
    assert [i for i in images if not DIGEST_REF.match(i)] == []
    assert {i.split("/")[0] for i in images} == {"registry.bakerst.internal"}


def test_zero_pod_templates_break_pod_security_restricted(renders: dict[str, Any]) -> None:
    for stack in ("enterprise", "dev"):
        violations = [(m["metadata"]["name"], v) for m in renders[stack].manifests for v in check_object(m)]
        assert violations == [], stack


def test_the_checker_does_find_the_upstream_violations() -> None:
    require_upstream()
    upstream = {o["metadata"]["name"]: o for o in kustomize_build(str(UPSTREAM_K8S)) if pod_specs_of(o)}
    assert check_object(upstream["brain-blue"])  # root chown init container
    assert check_object(upstream["nats"])  # no securityContext at all


def test_root_init_containers_are_removed_and_recorded(renders: dict[str, Any]) -> None:
    for name in ("brain-blue", "brain-green", "gateway", "sysadmin"):
        deployment = _by(renders["enterprise"], "Deployment", name)
        init = [c["name"] for c in deployment["spec"]["template"]["spec"].get("initContainers", [])]
        assert init == (["hooks-adapter", "hooks-audit-keys", "hooks"] if name.startswith("brain") else [])
        assert deployment["metadata"]["annotations"]["bakerst.io/removed-init-containers"] == "fix-data-ownership"
        assert deployment["spec"]["template"]["spec"]["securityContext"]["fsGroup"] == 1000


def test_nats_and_qdrant_get_a_security_context(renders: dict[str, Any]) -> None:
    for name in ("nats", "qdrant"):
        spec = _by(renders["enterprise"], "Deployment", name)["spec"]["template"]["spec"]
        assert spec["securityContext"] == {
            "fsGroup": 1000,
            "runAsGroup": 1000,
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        (container,) = spec["containers"]
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
        }
        assert "/tmp" in {m["mountPath"] for m in container["volumeMounts"]}
    qdrant = _by(renders["enterprise"], "Deployment", "qdrant")["spec"]["template"]["spec"]["containers"][0]
    assert "/qdrant/snapshots" in {m["mountPath"] for m in qdrant["volumeMounts"]}


def test_brain_gets_the_task_namespace(renders: dict[str, Any]) -> None:
    for name in ("brain-blue", "brain-green"):
        (container,) = _by(renders["enterprise"], "Deployment", name)["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["TASK_NAMESPACE"] == "bakerst-tasks"
    worker = _by(renders["enterprise"], "Deployment", "worker")["spec"]["template"]["spec"]["containers"][0]
    assert "TASK_NAMESPACE" not in {e["name"] for e in worker.get("env") or []}


def test_brain_broad_role_is_replaced_by_the_narrowed_access(renders: dict[str, Any]) -> None:
    manifests = renders["enterprise"].manifests
    assert not [m for m in manifests if m["metadata"]["name"] == "brain-secrets"]
    roles = {(m["metadata"]["namespace"], m["metadata"]["name"]) for m in manifests if m["kind"] == "Role"}
    assert roles == {("bakerst-tasks", "bakerst-brain-task-manager"), ("bakerst", "sysadmin")}


def test_sysadmin_role_is_read_only_in_enterprise_and_upstream_in_dev(renders: dict[str, Any]) -> None:
    enterprise = _by(renders["enterprise"], "Role", "sysadmin")
    assert {verb for rule in enterprise["rules"] for verb in rule["verbs"]} == {"get", "list", "watch"}
    assert not [r for r in enterprise["rules"] if "secrets" in r["resources"]]
    dev = _by(renders["dev"], "Role", "sysadmin")
    assert "create" in {verb for rule in dev["rules"] for verb in rule["verbs"]}


def test_only_api_callers_keep_a_service_account_token(renders: dict[str, Any]) -> None:
    for m in renders["enterprise"].manifests:
        for _, _, spec in pod_specs_of(m):
            if spec.get("serviceAccountName") in ("brain", "sysadmin"):
                assert "automountServiceAccountToken" not in spec
            else:
                assert spec["automountServiceAccountToken"] is False, m["metadata"]["name"]
    task_sa = [m for m in renders["enterprise"].manifests if m["kind"] == "ServiceAccount"]
    tokens = {
        (m["metadata"]["namespace"], m["metadata"]["name"]): m.get("automountServiceAccountToken") for m in task_sa
    }
    assert tokens[("bakerst", "bakerst-task")] is False
    assert tokens[("bakerst-tasks", "bakerst-task")] is False
    assert tokens[("bakerst", "brain")] is None


def test_pull_policy_is_set_on_every_container(renders: dict[str, Any]) -> None:
    assert {c["imagePullPolicy"] for m in renders["enterprise"].manifests for c in _containers(m)} == {"Always"}


@pytest.mark.parametrize(("stack", "level"), [("enterprise", "restricted"), ("dev", "baseline")])
def test_app_namespace_gets_pod_security_labels(renders: dict[str, Any], stack: str, level: str) -> None:
    labels = _by(renders[stack], "Namespace", "bakerst")["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == level
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.30"


def test_every_object_carries_the_label_policy_labels(renders: dict[str, Any]) -> None:
    for m in renders["enterprise"].manifests:
        labels = m["metadata"].get("labels") or {}
        assert [k for k in PROJECT_LABELS if k not in labels] == [], (m["kind"], m["metadata"]["name"])
        assert labels["bakerst.io/environment"] == "enterprise"
        assert labels["app.kubernetes.io/component"]


def test_no_secret_value_appears_in_the_render(renders: dict[str, Any]) -> None:
    text = yaml.safe_dump_all(renders["enterprise"].manifests)
    assert not [m for m in renders["enterprise"].manifests if m["kind"] == "Secret"]
    assert "stringData" not in text
    assert not re.search(r"sk-[A-Za-z0-9]{10,}|-----BEGIN (RSA |EC )?PRIVATE KEY", text)


def test_the_upstream_image_inventory_is_what_the_config_maps() -> None:
    require_upstream()
    images = upstream_images(kustomize_build(str(UPSTREAM_K8S)))
    enterprise = yaml.safe_load((REPO_ROOT / "Pulumi.enterprise.yaml").read_text())["config"]["bakerst:images"]
    # alpine:3 (the root init containers) is gone, so it needs no entry; the hooks image is the project's own
    assert images == set(enterprise) - {"bakerst-hardened-hooks"}
