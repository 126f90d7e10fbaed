"""The offline render: the real program under mocks, written as YAML that real validators accept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from bakerst_hardened.render import RenderError, run_program, write_render
from bakerst_hardened.stack_file import StackFileError, read_stack_settings
from components.supported import SUPPORTED_KUBERNETES_VERSIONS
from tests.conftest import BASE_DIR_OVERRIDE, REPO_ROOT, require_upstream

SCHEMAS = Path(__file__).parent / "schemas"
#: Kinds with no built-in schema in kubernetes-validate, and the schema the tests check them against.
CRD_SCHEMAS = {
    ("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy"): SCHEMAS / "adminnetworkpolicy-v1alpha1.schema.json",
}


def _run(stack: str) -> Any:
    require_upstream()
    return run_program(REPO_ROOT, stack, config_overrides=BASE_DIR_OVERRIDE)


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("render") / "enterprise"
    summary = write_render(_run("enterprise"), out)
    return out, summary


def _objects(out: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(str(p.relative_to(out)), yaml.safe_load(p.read_text())) for p in sorted(out.rglob("*.yaml"))]


def test_one_file_per_object_grouped_by_namespace(enterprise: tuple[Path, dict[str, Any]]) -> None:
    out, summary = enterprise
    objects = _objects(out)
    assert len(objects) == summary["objectCount"] == 60  # 55 + the hooks sidecar: 2 claims, Service, NP, ES
    for relative, obj in objects:
        scope = obj["metadata"].get("namespace", "_cluster")
        assert relative == f"{scope}/{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"
    assert summary["objectsByNamespace"] == {"_cluster": 8, "bakerst": 45, "bakerst-tasks": 7}
    assert summary["objectsByKind"] == {
        "AdminNetworkPolicy": 1,
        "ClusterPolicy": 4,
        "ClusterSecretStore": 1,
        "ConfigMap": 2,  # upstream nats-config + the hooks runtime config
        "Deployment": 8,
        "ExternalSecret": 4,  # brain, worker, gateway, hooks
        "LimitRange": 1,
        "Namespace": 2,
        "NetworkPolicy": 20,  # 16 upstream (unchanged but labelled), 3 of ours, the approvals ingress
        "PersistentVolumeClaim": 2,  # hooks state of brain-blue and brain-green
        "ResourceQuota": 1,
        "Role": 2,  # ours for the brain in the task namespace, upstream sysadmin narrowed
        "RoleBinding": 2,
        "Service": 6,  # 5 upstream + the approvals Service
        "ServiceAccount": 4,
    }


def test_summary_carries_the_stack_exports(enterprise: tuple[Path, dict[str, Any]]) -> None:
    out, summary = enterprise
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk == summary
    assert summary["exports"]["taskNamespace"] == "bakerst-tasks"
    assert summary["exports"]["rateLimits"] == {"perUserPerMinute": 30, "globalPerMinute": 200}
    assert summary["exports"]["taskNetworkPolicies"] == [
        "default-deny-all",
        "allow-egress-nats-dns",
        "allow-nats-from-bakerst-tasks",
        "bakerst-tasks-isolation",
    ]


def _numbers(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []


def test_numbers_are_integers_where_kubernetes_expects_them(enterprise: tuple[Path, dict[str, Any]]) -> None:
    out, _ = enterprise
    numbers = [n for _, obj in _objects(out) for n in _numbers(obj)]
    assert numbers, "expected ports and priorities in the render"
    assert all(isinstance(n, int) for n in numbers), numbers
    raw = (out / "bakerst-tasks" / "networkpolicy-allow-egress-nats-dns.yaml").read_text()
    assert "port: 4222\n" in raw and "53.0" not in raw


@pytest.mark.parametrize("version", [SUPPORTED_KUBERNETES_VERSIONS[0], SUPPORTED_KUBERNETES_VERSIONS[-1]])
def test_every_object_passes_kubernetes_validate_strict(enterprise: tuple[Path, dict[str, Any]], version: str) -> None:
    out, _ = enterprise
    checked = 0
    for _, obj in _objects(out):
        if _is_custom(obj):
            continue  # validated against their CRD schemas in test_every_custom_resource_matches_its_crd
        kubernetes_validate.validate(obj, version, strict=True)  # raises on the first error
        checked += 1
    assert checked == 50, f"expected 50 built-in objects validated against {version}, got {checked}"


def _is_custom(obj: dict[str, Any]) -> bool:
    return (obj["apiVersion"], obj["kind"]) in CRD_SCHEMAS or obj["apiVersion"].split("/")[0].endswith(
        ("kyverno.io", "external-secrets.io")
    )


def test_every_custom_resource_matches_its_crd(enterprise: tuple[Path, dict[str, Any]]) -> None:
    from tests.crd_schemas import CRD_DIR, known_kinds, validate

    if not CRD_DIR.is_dir():
        pytest.skip(f"CRDs not found at {CRD_DIR}")
    out, _ = enterprise
    kinds: list[str] = []
    for relative, obj in _objects(out):
        schema_file = CRD_SCHEMAS.get((obj["apiVersion"], obj["kind"]))
        if schema_file is not None:
            jsonschema.Draft202012Validator(json.loads(schema_file.read_text())).validate(obj)
            if (obj["apiVersion"], obj["kind"]) in known_kinds():  # the real CRD too, where ../shared has it
                assert validate(obj) == [], relative
        elif _is_custom(obj):
            assert validate(obj) == [], relative
        else:
            continue
        kinds.append(obj["kind"])
    assert sorted(kinds) == sorted(
        ["AdminNetworkPolicy"] + ["ClusterPolicy"] * 4 + ["ClusterSecretStore"] + ["ExternalSecret"] * 4
    )


def test_every_supported_version_in_between_also_validates(enterprise: tuple[Path, dict[str, Any]]) -> None:
    out, _ = enterprise
    for version in SUPPORTED_KUBERNETES_VERSIONS[1:-1]:
        for _, obj in _objects(out):
            if not _is_custom(obj):
                kubernetes_validate.validate(obj, version, strict=True)


def test_strict_validation_would_catch_a_typo(enterprise: tuple[Path, dict[str, Any]]) -> None:
    out, _ = enterprise
    policy = yaml.safe_load((out / "bakerst-tasks" / "networkpolicy-default-deny-all.yaml").read_text())
    policy["spec"]["ingres"] = []
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(policy, SUPPORTED_KUBERNETES_VERSIONS[0], strict=True)
    anp = yaml.safe_load((out / "_cluster" / "adminnetworkpolicy-bakerst-tasks-isolation.yaml").read_text())
    anp["spec"]["egress"][2]["action"] = "Block"
    schema = json.loads(CRD_SCHEMAS[("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy")].read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(anp)


def test_rendering_twice_gives_identical_files(tmp_path: Path) -> None:
    first = write_render(_run("enterprise"), tmp_path / "a")
    second = write_render(_run("enterprise"), tmp_path / "b")
    assert first == second
    for relative in first["files"]:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes()


def test_a_stack_with_no_config_renders_the_model_defaults(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).write_text((REPO_ROOT / name).read_text())
    (project / "Pulumi.defaults.yaml").write_text("config: {}\n")
    summary = write_render(run_program(project, "defaults"), tmp_path / "out")
    assert summary["objectCount"] == 10  # task isolation + hooks ConfigMap: no app, no AdminNetworkPolicy by default
    assert summary["exports"]["appDeployed"] is False
    assert summary["exports"]["budgets"] == {
        "dailyUsd": "50",
        "monthlyUsd": "1000",
        "alertThreshold": "0.8",
        "fallbackStrategy": "downgrade",
    }


def test_refuses_to_overwrite_a_directory_that_is_not_a_render(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(RenderError, match="not an earlier render"):
        write_render(_run("dev"), precious)
    assert (precious / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious"]  # no staging directory left behind


def test_replaces_an_earlier_render_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_render(_run("enterprise"), out)
    write_render(_run("dev"), out)
    assert not (out / "_cluster" / "adminnetworkpolicy-bakerst-tasks-isolation.yaml").exists()


def test_stack_file_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(StackFileError, match=r"no stack 'nope'.*stacks here: dev, enterprise"):
        read_stack_settings(REPO_ROOT, "nope")
    (tmp_path / "Pulumi.yaml").write_text("name: p\n")
    (tmp_path / "Pulumi.s.yaml").write_text("config:\n  taskNamespace: x\n")
    with pytest.raises(StackFileError, match="has no namespace; write it as `bakerst:taskNamespace`"):
        read_stack_settings(tmp_path, "s")
    (tmp_path / "Pulumi.s.yaml").write_text("config:\n  bakerst:token:\n    secure: v1:abc\n")
    with pytest.raises(StackFileError, match="encrypted secret"):
        read_stack_settings(tmp_path, "s")


def test_ambient_pulumi_config_does_not_leak_into_a_render(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"bakerst:taskNamespace": "leaked"}))
    result = _run("enterprise")
    assert result.exports["taskNamespace"] == "bakerst-tasks"
    assert os.environ["PULUMI_CONFIG"]  # restored afterwards


# ------------------------------------------------------------------------------------------- the CLI itself


BASE_DIR_ARG = "bakerst:baseDir=" + BASE_DIR_OVERRIDE["bakerst:baseDir"]


def _cli(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bakerst_hardened.cli", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_cli_render_prints_a_readable_summary(tmp_path: Path) -> None:
    require_upstream()
    proc = _cli("render", "--stack", "enterprise", "--out", str(tmp_path / "out"), "--config", BASE_DIR_ARG)
    assert proc.returncode == 0, proc.stderr
    assert "Rendered stack 'enterprise'" in proc.stdout
    assert "60 Kubernetes objects" in proc.stdout
    assert "running the Pulumi program under the SDK mock runtime" in proc.stderr  # progress
    assert (tmp_path / "out" / "summary.json").is_file()


@pytest.mark.slow
def test_cli_render_json(tmp_path: Path) -> None:
    require_upstream()
    proc = _cli("render", "--stack", "enterprise", "--out", str(tmp_path / "out"), "--json", "--config", BASE_DIR_ARG)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True and report["objectCount"] == 60 and report["stack"] == "enterprise"


@pytest.mark.slow
def test_cli_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((REPO_ROOT / name).read_text())
    (tmp_path / "Pulumi.bad.yaml").write_text("config:\n  bakerst:taskQuota:\n    memory: 2 gigs\n")
    proc = _cli("render", "--stack", "bad", "--out", str(tmp_path / "out"), "--project", str(tmp_path), "--json")
    assert proc.returncode == 2
    report = json.loads(proc.stdout)
    assert report["ok"] is False and report["error"] == "config"
    assert report["issues"] == ['bakerst:taskQuota.memory: "2 gigs" is not a Kubernetes quantity, e.g. "2Gi" or "500m"']
    assert "bakerst:taskQuota.memory" in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_cli_unknown_stack_exits_1(tmp_path: Path) -> None:
    proc = _cli("render", "--stack", "missing", "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert "no stack 'missing'" in proc.stderr
