"""Read a Pulumi project and one stack's settings file, as the Pulumi CLI would hand them to a program."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml


class StackFileError(ValueError):
    """The project or stack file is missing or malformed."""


@dataclass(frozen=True)
class StackSettings:
    """A project's name and one stack's config in Pulumi's wire form (every value a string)."""

    project: str
    stack: str
    config: dict[str, str]
    path: Path


def _wire_value(key: str, value: Any, path: Path) -> str:
    """Pulumi passes scalars as text and objects/lists as JSON text."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        raise StackFileError(
            f"{path}: {key} is an encrypted secret; the offline render cannot decrypt it. "
            "Keep secret values out of stack config (External Secrets supplies them at run time)."
        )
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        raise StackFileError(f"{path}: {key} has no value; give it one or remove the key")
    return str(value)


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StackFileError(f"{path} does not exist") from None
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path} is not valid YAML: {exc}") from None


def read_stack_settings(project_dir: Path, stack: str) -> StackSettings:
    """Read ``Pulumi.yaml`` (project name) and ``Pulumi.<stack>.yaml`` (config) from ``project_dir``."""
    project_file = project_dir / "Pulumi.yaml"
    project_doc = _load_yaml(project_file)
    if not isinstance(project_doc, dict) or not isinstance(project_doc.get("name"), str):
        raise StackFileError(f"{project_file}: needs a top-level `name:` (the Pulumi project name)")
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        known = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in project_dir.glob("Pulumi.*.yaml"))
        raise StackFileError(
            f"no stack {stack!r}: {stack_file} does not exist (stacks here: {', '.join(known) or 'none'})"
        )
    stack_doc = _load_yaml(stack_file) or {}
    if not isinstance(stack_doc, dict):
        raise StackFileError(f"{stack_file}: must be a mapping with a `config:` key")
    raw_config = stack_doc.get("config") or {}
    if not isinstance(raw_config, dict):
        raise StackFileError(f"{stack_file}: `config:` must be a mapping of `namespace:key: value`")
    config: dict[str, str] = {}
    for key, value in raw_config.items():
        if not isinstance(key, str) or ":" not in key:
            raise StackFileError(f"{stack_file}: config key {key!r} has no namespace; write it as `bakerst:{key}`")
        config[key] = _wire_value(key, value, stack_file)
    return StackSettings(project=project_doc["name"], stack=stack, config=config, path=stack_file)


def parse_override(text: str) -> tuple[str, str]:
    """``namespace:key=value`` (as ``pulumi config set`` takes it) to a (key, value) pair."""
    key, sep, value = text.partition("=")
    if not sep or ":" not in key or not key.split(":", 1)[1]:
        raise StackFileError(f"--config {text!r}: expected NAMESPACE:KEY=VALUE, e.g. bakerst:baseDir=path/to/k8s")
    return key, value


def with_overrides(settings: StackSettings, overrides: Mapping[str, str]) -> StackSettings:
    """``settings`` with config keys replaced (values in Pulumi's wire form: objects as JSON text)."""
    return replace(settings, config={**settings.config, **overrides})
