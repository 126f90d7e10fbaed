"""Read every ``bakerst:*`` key from Pulumi config and validate it as one ``StackConfig``.

Pulumi hands a program its config as strings (objects as JSON text), through the
``PULUMI_CONFIG`` environment variable or ``pulumi.runtime.set_all_config``. This module
decodes those strings, validates them with pydantic, and raises ``StackConfigError``
naming every bad key before a single resource is registered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, get_args, get_origin

import pulumi.runtime.config as pulumi_config
from pydantic import BaseModel, ValidationError

from components.config_errors import ConfigIssue, StackConfigError, issues_from_validation_error
from components.stack_config import CONFIG_NAMESPACE, StackConfig, top_level_keys


def _is_structured_type(annotation: Any) -> bool:
    origin = get_origin(annotation) or annotation
    if origin in (dict, list) or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return True
    return any(_is_structured_type(arg) for arg in get_args(annotation) if arg is not type(None))


def _structured(key: str) -> bool:
    """True for keys whose value Pulumi hands over as JSON text (objects, lists, optional objects)."""
    info = top_level_keys().get(key)
    return info is not None and _is_structured_type(info.annotation)


def raw_pulumi_config(namespace: str = CONFIG_NAMESPACE) -> dict[str, Any]:
    """Every config value under ``namespace``, keyed without the namespace prefix."""
    keys = set(pulumi_config.CONFIG.get()) | set(pulumi_config.get_config_env())
    values: dict[str, Any] = {}
    for full_key in sorted(keys):
        ns, _, rest = full_key.partition(":")
        if ns != namespace or not rest:
            continue
        short = rest.removeprefix("config:")  # legacy "ns:config:key" spelling
        values[short] = pulumi_config.get_config(full_key)
    return values


def parse_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate raw config (Pulumi's strings, or already-decoded values) into ``StackConfig``.

    Raises ``StackConfigError`` listing every problem; returns only a fully valid config.
    """
    decoded: dict[str, Any] = {}
    issues: list[ConfigIssue] = []
    for key, value in raw.items():
        if isinstance(value, str) and _structured(key):
            try:
                decoded[key] = json.loads(value)
            except json.JSONDecodeError:
                issues.append(
                    ConfigIssue(
                        f"{CONFIG_NAMESPACE}:{key}",
                        value,
                        "is not an object or list; set it as structured YAML in the stack file "
                        f"or with `pulumi config set --path '{CONFIG_NAMESPACE}:{key}.<field>' <value>`",
                    )
                )
        else:
            decoded[key] = value
    if issues:
        raise StackConfigError(issues)
    try:
        return StackConfig.model_validate(decoded)
    except ValidationError as exc:
        raise StackConfigError(issues_from_validation_error(exc)) from None


def load_stack_config() -> StackConfig:
    """Read and validate the current stack's ``bakerst:*`` config (call before creating resources)."""
    return parse_stack_config(raw_pulumi_config())
