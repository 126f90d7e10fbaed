"""The hooks sidecar in the brain pods: what the enterprise render puts there, that the rendered service.yaml is
the config the real hooks service loads, config errors before any resource, and the writer-key install step."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bakerst_hardened.render import RenderResult, run_program
from components.config_errors import StackConfigError
from components.hooks_sidecar import ADAPTER_ENTRY, SidecarSettings, add_hooks_sidecar, writer_state_key
from hooks.audit.keys import install_writer, keygen
from hooks.service.config import parse_service_config, resolve_tokens
from tests.conftest import BASE_DIR_OVERRIDE, REPO_ROOT, require_upstream

RESTRICTED_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "readOnlyRootFilesystem": True,
}


@pytest.fixture(scope="module")
def enterprise() -> RenderResult:
    require_upstream()
    return run_program(REPO_ROOT, "enterprise", config_overrides=BASE_DIR_OVERRIDE)


def _by(result: RenderResult, kind: str, name: str) -> dict[str, Any]:
    found = [m for m in result.manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}"
    return found[0]


def _env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


@pytest.mark.parametrize("deployment", ["brain-blue", "brain-green"])
def test_each_brain_pod_runs_the_hooks_service_as_a_native_sidecar(enterprise: RenderResult, deployment: str) -> None:
    spec = _by(enterprise, "Deployment", deployment)["spec"]["template"]["spec"]
    adapter, keys, sidecar = spec["initContainers"]
    hooks_image = "registry.bakerst.internal/bakerst-hardened/hooks@sha256:"
    assert all(c["image"].startswith(hooks_image) for c in (adapter, keys, sidecar))
    assert sidecar["restartPolicy"] == "Always" and "restartPolicy" not in adapter and "restartPolicy" not in keys
    assert sidecar["command"][:3] == ["bakerst-hardened", "hooks", "serve"]
    assert sidecar["ports"] == [{"containerPort": 8181, "name": "hooks", "protocol": "TCP"}]
    assert {p: sidecar[p]["httpGet"]["path"] for p in ("startupProbe", "readinessProbe", "livenessProbe")} == {
        "startupProbe": "/healthz",
        "readinessProbe": "/readyz",
        "livenessProbe": "/healthz",
    }
    assert sidecar["resources"]["limits"] == {"cpu": "250m", "memory": "256Mi"}
    for container in (adapter, keys, sidecar):
        assert {k: container["securityContext"][k] for k in RESTRICTED_CONTEXT} == RESTRICTED_CONTEXT
    # Tokens only from the hooks Secret (an ExternalSecret target), never literals.
    assert {name: e["valueFrom"]["secretKeyRef"] for name, e in _env(sidecar).items()} == {
        "HOOKS_APP_TOKEN": {"name": "bakerst-hooks-secrets", "key": "HOOKS_APP_TOKEN"},
        "HOOKS_APPROVERS_ONCALL": {"name": "bakerst-hooks-secrets", "key": "HOOKS_APPROVERS_ONCALL"},
    }
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["hooks-state"]["persistentVolumeClaim"]["claimName"] == f"{deployment}-hooks-state"
    assert volumes["hooks-config"]["configMap"]["name"] == "bakerst-hooks"
    assert volumes["hooks-writer-key"]["secret"]["items"] == [
        {"key": "AUDIT_CHECKPOINT_KEY", "path": "checkpoint.key"},
        {"key": writer_state_key(deployment), "path": "state.json"},
    ]
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    assert mounts["/var/lib/bakerst"]["name"] == "hooks-state"  # the audit spool (/var/lib/bakerst/audit)
    assert mounts["/var/log/bakerst"] == {"name": "hooks-state", "mountPath": "/var/log/bakerst",
                                          "subPath": "paths/var-log-bakerst"}  # fmt: skip
    (brain,) = spec["containers"]
    env = _env(brain)
    assert env["NODE_OPTIONS"]["value"] == f"--import={ADAPTER_ENTRY}"
    assert env["BAKERST_HOOKS_URL"]["value"] == "http://127.0.0.1:8181"
    # The adapter waits for a held call's answer 30 s longer than the chain's approval timeout.
    guardrails = yaml.safe_load(_by(enterprise, "ConfigMap", "bakerst-hooks")["data"]["guardrails.yaml"])
    wait_ms = int((guardrails["approval"]["timeout_seconds"] + 30) * 1000)
    assert env["BAKERST_HOOKS_BEFORE_TIMEOUT_MS"]["value"] == str(wait_ms)
    assert env["BAKERST_HOOKS_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": "bakerst-hooks-secrets",
        "key": "HOOKS_APP_TOKEN",
    }
    assert {"name": "hooks-adapter", "mountPath": "/opt/bakerst-hooks/adapter", "readOnly": True} in brain[
        "volumeMounts"
    ]


def test_only_the_ingress_namespace_reaches_the_service_port(enterprise: RenderResult) -> None:
    policy = _by(enterprise, "NetworkPolicy", "bakerst-hooks-approvals")["spec"]
    assert policy["podSelector"] == {"matchLabels": {"app": "brain"}}
    assert policy["ingress"] == [
        {
            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
            "ports": [{"port": 8181, "protocol": "TCP"}],
        }
    ]
    # Upstream's own brain policy stays: 3000 from its peers, nothing for 8181.
    upstream = _by(enterprise, "NetworkPolicy", "brain-policy")["spec"]
    assert [p["port"] for rule in upstream["ingress"] for p in rule["ports"]] == [3000]
    service = _by(enterprise, "Service", "bakerst-hooks-approvals")["spec"]
    assert service["ports"] == [{"name": "hooks", "port": 8181, "protocol": "TCP", "targetPort": "hooks"}]
    claims = sorted(m["metadata"]["name"] for m in enterprise.manifests if m["kind"] == "PersistentVolumeClaim")
    assert claims == ["brain-blue-hooks-state", "brain-green-hooks-state"]
    hooks_secret = _by(enterprise, "ExternalSecret", "bakerst-hooks-secrets")
    keys = sorted(d["secretKey"] for d in hooks_secret["spec"]["data"])
    assert keys == sorted(["AUDIT_CHECKPOINT_KEY", "AUDIT_WRITER_STATE_BRAIN_BLUE", "AUDIT_WRITER_STATE_BRAIN_GREEN",
                           "HOOKS_APPROVERS_ONCALL", "HOOKS_APP_TOKEN"])  # fmt: skip


def test_the_rendered_service_config_is_what_the_real_service_loads(enterprise: RenderResult, tmp_path: Path) -> None:
    """The ConfigMap's four files, written as the pod mounts them, load with the service's own loader."""
    data = _by(enterprise, "ConfigMap", "bakerst-hooks")["data"]
    assert sorted(data) == ["audit.yaml", "governance.yaml", "guardrails.yaml", "service.yaml"]
    for name, text in data.items():
        (tmp_path / name).write_text(text)
    config = parse_service_config(yaml.safe_load(data["service.yaml"]), base=tmp_path, source="service.yaml")
    assert config.service.audit_keys == "/var/lib/bakerst/hooks/audit-keys"
    assert config.audit.spool_dir == "/var/lib/bakerst/audit"
    assert "dispatch_job" in config.guardrails.tools  # upstream's tool catalogue
    assert "claude-sonnet-4-20250514" in config.governance.models  # the governor can price upstream's model
    env = {"HOOKS_APP_TOKEN": "a" * 32, "HOOKS_APPROVERS_ONCALL": "b" * 32}
    credentials = resolve_tokens(config.service.auth, env)
    assert credentials.groups["oncall"][1] == ("security-oncall-1", "security-oncall-2")


def test_dev_runs_no_sidecar() -> None:
    require_upstream()
    dev = run_program(REPO_ROOT, "dev", config_overrides=BASE_DIR_OVERRIDE)
    brain = _by(dev, "Deployment", "brain-blue")["spec"]["template"]["spec"]
    assert "initContainers" not in brain
    assert "service.yaml" not in _by(dev, "ConfigMap", "bakerst-hooks")["data"]


def _enterprise_raw(**changes: Any) -> dict[str, Any]:
    doc = yaml.safe_load((REPO_ROOT / "Pulumi.enterprise.yaml").read_text())
    raw = {k.removeprefix("bakerst:"): v for k, v in doc["config"].items()}
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r.pop("secretStore"), "bakerst:secretStore: .*hooks sidecar's tokens"),
        (lambda r: r["externalSecrets"]["services"].pop("hooks"), "externalSecrets.services: .*lacks 'hooks'"),
        (lambda r: r["externalSecrets"]["services"]["hooks"]["data"].pop("HOOKS_APPROVERS_ONCALL"),
         "externalSecrets.services.hooks.data: .*lacks HOOKS_APPROVERS_ONCALL"),
        (lambda r: r.pop("baseDir"), "hooksSidecar.enabled: .*needs the app"),
        (lambda r: r["hooksSidecar"]["auth"].update(applicationTokenEnv="lower-case"), "applicationTokenEnv"),
    ],
)  # fmt: skip
def test_an_incomplete_sidecar_config_fails_naming_the_key(mutate: Any, expected: str) -> None:
    from components.config_loader import parse_stack_config

    raw = _enterprise_raw()
    mutate(raw)
    with pytest.raises(StackConfigError, match=expected):
        parse_stack_config(raw)


def test_a_brain_deployment_without_its_own_chain_state_fails_before_any_resource() -> None:
    require_upstream()
    from bakerst_hardened.recording_mocks import kustomize_build
    from components.config_loader import parse_stack_config
    from components.upstream import _check_hooks_writer_states
    from tests.conftest import UPSTREAM_K8S

    raw = _enterprise_raw()
    raw["externalSecrets"]["services"]["hooks"]["data"].pop("AUDIT_WRITER_STATE_BRAIN_GREEN")
    config = parse_stack_config(raw)
    with pytest.raises(StackConfigError, match="lacks AUDIT_WRITER_STATE_BRAIN_GREEN: each brain Deployment"):
        _check_hooks_writer_states(config, kustomize_build(str(UPSTREAM_K8S)))


SETTINGS = SidecarSettings(
    image="hooks-image", port=8181, config_map="cm", secret="sec", application_token_env="APP",
    token_envs=("APP",), writable_paths=("/var/lib/bakerst/audit",),
)  # fmt: skip


def test_adding_the_sidecar_twice_changes_nothing_and_keeps_existing_node_options() -> None:
    spec: dict[str, Any] = {
        "containers": [{"name": "brain", "env": [{"name": "NODE_OPTIONS", "value": "--max-old-space-size=512"}]}]
    }
    add_hooks_sidecar("brain-blue", spec, SETTINGS)
    once = json.dumps(spec, sort_keys=True)
    add_hooks_sidecar("brain-blue", spec, SETTINGS)
    assert json.dumps(spec, sort_keys=True) == once
    env = _env(spec["containers"][0])
    assert env["NODE_OPTIONS"]["value"] == f"--max-old-space-size=512 --import={ADAPTER_ENTRY}"
    state_mounts = [m for m in spec["initContainers"][2]["volumeMounts"] if m["name"] == "hooks-state"]
    assert state_mounts == [{"name": "hooks-state", "mountPath": "/var/lib/bakerst"}]  # the spool is inside it


# --- the writer-key install step (init container hooks-audit-keys) -------------------------------------------


def test_install_writer_installs_once_then_keeps_the_moving_chain(tmp_path: Path) -> None:
    keygen(tmp_path / "keys", log_id="bakerst/brain-blue")
    secret = tmp_path / "keys" / "writer"
    assert install_writer(secret, tmp_path / "state") == "installed"
    installed = tmp_path / "state" / "writer" / "state.json"
    moved = {**json.loads(installed.read_text()), "seq": 42, "epoch": 7}
    installed.write_text(json.dumps(moved))
    assert install_writer(secret, tmp_path / "state") == "kept"
    assert json.loads(installed.read_text())["seq"] == 42  # never rolled back to the Secret's epoch 0
    assert oct(installed.stat().st_mode & 0o777) == "0o600"


def test_install_writer_refuses_another_logs_material_and_malformed_files(tmp_path: Path) -> None:
    keygen(tmp_path / "a", log_id="bakerst/a")
    keygen(tmp_path / "b", log_id="bakerst/b")
    install_writer(tmp_path / "a" / "writer", tmp_path / "state")
    with pytest.raises(ValueError, match="Refusing to overwrite an audit chain"):
        install_writer(tmp_path / "b" / "writer", tmp_path / "state")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "checkpoint.key").write_text("{}")
    (broken / "state.json").write_text("{}")
    with pytest.raises(ValueError, match=r"checkpoint.key: field 'name' missing"):
        install_writer(broken, tmp_path / "other")
    with pytest.raises(ValueError, match=r"checkpoint.key: missing \(the writer.s checkpoint signing key\)"):
        install_writer(tmp_path / "nowhere", tmp_path / "other")


def test_install_writer_cli(tmp_path: Path) -> None:
    keygen(tmp_path / "keys")
    command = [sys.executable, "-m", "bakerst_hardened.cli", "audit", "install-writer",
               "--from", str(tmp_path / "keys" / "writer"), "--to", str(tmp_path / "state"), "--json"]  # fmt: skip
    first = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO_ROOT)
    second = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO_ROOT)
    assert (first.returncode, json.loads(first.stdout)["outcome"]) == (0, "installed")
    assert (second.returncode, json.loads(second.stdout)["outcome"]) == (0, "kept")
    bad = subprocess.run([*command[:6], str(tmp_path), *command[7:]], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "missing" in bad.stderr
