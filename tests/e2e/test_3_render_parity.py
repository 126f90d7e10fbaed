"""The offline render and the engine agree: the objects ``bakerst-hardened render`` writes equal what the real
provider writes with ``kubernetes:renderYamlToDirectory`` for the same stack (normalised; differences listed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.e2e.stacks import Project
from tests.e2e.test_1_preview import offline_report

Key = tuple[str, str, str, str]


def _key(obj: dict[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return (obj["apiVersion"], obj["kind"], meta.get("namespace") or "", meta["name"])


def normalise(obj: Any) -> Any:
    """Drop what only the engine adds (``pulumi.com/`` annotations) and the empty values it leaves out
    (``value: ""`` of an EnvVar, ``ingress: []``, ``{}``: the same object to the API server); integral floats
    become integers."""
    if isinstance(obj, dict):
        out = {}
        for k, value in obj.items():
            if k == "annotations" and isinstance(value, dict):
                value = {a: b for a, b in value.items() if not a.startswith("pulumi.com/")}  # noqa: PLW2901
            normalised = normalise(value)
            if normalised in ({}, [], "", None):
                continue
            out[k] = normalised
        return out
    if isinstance(obj, list):
        return [normalise(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    return obj


def _load(directory: Path, skip: tuple[str, ...] = ()) -> dict[Key, Any]:
    objects: dict[Key, Any] = {}
    for path in sorted(directory.rglob("*.yaml")):
        if path.name in skip:
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                objects[_key(doc)] = normalise(doc)
    return objects


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}.{k}: only in the engine's")
            elif k not in b:
                out.append(f"{path}.{k}: only in the offline render")
            else:
                out += _differences(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    if a != b:
        return [f"{path}: offline {a!r} != engine {b!r}"[:300]]
    return []


def test_offline_render_equals_the_providers_render_yaml_to_directory(project: Project, tmp_path: Path) -> None:
    rendered = tmp_path / "engine"
    stack = project.stack("rendered", config={"kubernetes:renderYamlToDirectory": str(rendered)})
    run = project.up(stack, "enterprise", policies=False)
    assert run.error == "", run.error[-3000:]
    engine = _load(rendered)
    offline_report(project, "enterprise", {}, tmp_path / "offline")
    offline = _load(tmp_path / "offline")
    assert sorted(set(offline) - set(engine)) == [], "objects only in the offline render"
    assert sorted(set(engine) - set(offline)) == [], "objects only in the engine's render"
    differences = {
        "/".join(key[1:]): diff for key in sorted(offline) if (diff := _differences(offline[key], engine[key]))
    }
    assert differences == {}
    project.destroy(stack)
