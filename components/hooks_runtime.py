"""HooksRuntime: the hooks runtime's configuration as a ConfigMap in the app namespace.

The stack is the one place where audit sinks, rate limits, budgets and the guardrail chain are decided; this
component renders them into the files the runtime loads (``audit.yaml``, ``governance.yaml``,
``guardrails.yaml``, each in the runtime's own schema, and ``service.yaml`` for the hooks sidecar) so that what
the stack policies check is exactly what the runtime runs. The guardrail file named by
``bakerst:guardrails.configFile`` is read and validated by :func:`load_guardrails` before any resource is
registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml
from pydantic import ValidationError
from pydantic_core import to_jsonable_python

from components.app_config import HooksSidecarConfig
from components.config_errors import ConfigIssue, StackConfigError
from components.labels import component_labels
from components.ordering import Dependencies, after
from components.stack_config import CONFIG_NAMESPACE, BudgetsConfig, RateLimitsConfig, StackConfig
from hooks.audit.config import AuditRuntimeConfig
from hooks.governance.pricing import ModelPrice
from hooks.guardrails.config import GuardrailConfig

#: ``app.kubernetes.io/component`` of the ConfigMap; the policy pack finds it by this label.
COMPONENT = "hooks-runtime-config"
AUDIT_KEY = "audit.yaml"
GOVERNANCE_KEY = "governance.yaml"
GUARDRAILS_KEY = "guardrails.yaml"
SERVICE_KEY = "service.yaml"


def load_guardrails(config: StackConfig) -> GuardrailConfig:
    """The guardrail chain for this stack: the configured file (relative to the project), or the default."""
    path_text = config.guardrails.config_file
    if path_text is None:
        return GuardrailConfig()
    key = f"{CONFIG_NAMESPACE}:guardrails.configFile"
    path = Path(path_text).expanduser()
    resolved = path if path.is_absolute() else Path.cwd() / path
    try:
        data = yaml.safe_load(resolved.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise StackConfigError([ConfigIssue(key, path_text, f"cannot be read as YAML ({resolved}): {exc}")]) from None
    try:
        return GuardrailConfig.model_validate(data or {})
    except ValidationError as exc:
        issues = [
            ConfigIssue(
                key,
                path_text,
                f"{'.'.join(str(p) for p in error['loc']) or '(top level)'} in {resolved}: {error['msg']}",
            )
            for error in exc.errors()
        ]
        raise StackConfigError(issues) from None


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=True, default_flow_style=False)


def governance_document(
    rate_limits: RateLimitsConfig, budgets: BudgetsConfig, model_prices: Mapping[str, ModelPrice] | None = None
) -> dict[str, Any]:
    """``governance.yaml`` in the schema of ``hooks.governance.config.GovernanceConfig``."""
    models = {
        name: price.model_dump(mode="json", by_alias=True, exclude_none=True)
        for name, price in sorted((model_prices or {}).items())
    }
    return {
        "models": models,
        "rateLimits": {
            "perUserPerMinute": rate_limits.per_user_per_minute,
            "globalPerMinute": rate_limits.global_per_minute,
            "failureMode": "closed",
        },
        "budgets": {
            "dailyUsd": str(budgets.daily_usd),
            "monthlyUsd": str(budgets.monthly_usd),
            "alertThreshold": str(budgets.alert_threshold),
            "fallbackStrategy": budgets.fallback_strategy,
        },
    }


def audit_document(audit: AuditRuntimeConfig) -> dict[str, Any]:
    """``audit.yaml`` in the schema of ``hooks.audit.config.AuditRuntimeConfig``."""
    return audit.model_dump(mode="json", by_alias=True)


def service_document(sidecar: HooksSidecarConfig, audit_keys_dir: str) -> dict[str, Any]:
    """``service.yaml`` for ``bakerst-hardened hooks serve`` (``hooks.service.config``): the service's own keys,
    and the three documents beside it in the same ConfigMap by relative path."""
    return {
        "service": {
            "auditKeys": audit_keys_dir,
            "auth": sidecar.auth.model_dump(mode="json", by_alias=True),
            "approvals": {"backend": "auto"},
        },
        "audit": AUDIT_KEY,
        "governance": GOVERNANCE_KEY,
        "guardrails": GUARDRAILS_KEY,
    }


def _sets_sorted(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(_sets_sorted(v) for v in value)
    if isinstance(value, dict):
        return {k: _sets_sorted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sets_sorted(v) for v in value]
    return value


def guardrails_document(guardrails: GuardrailConfig) -> dict[str, Any]:
    """``guardrails.yaml`` in the schema of ``hooks.guardrails.config.GuardrailConfig`` (sets sorted, so the
    rendered ConfigMap is byte-identical from run to run)."""
    data: dict[str, Any] = to_jsonable_python(_sets_sorted(guardrails.model_dump(mode="python", by_alias=True)))
    return data


@dataclass(frozen=True)
class HooksRuntimeArgs:
    """Inputs of ``HooksRuntime``."""

    name: str
    """Kubernetes name of the ConfigMap."""
    namespace: str
    """The app namespace."""
    audit: AuditRuntimeConfig
    rate_limits: RateLimitsConfig
    budgets: BudgetsConfig
    model_prices: Mapping[str, ModelPrice]
    guardrails: GuardrailConfig
    labels: Mapping[str, str]
    service: Mapping[str, Any] | None = None
    """``service.yaml`` for the hooks sidecar (``service_document``); None when the stack runs no sidecar."""
    app_namespace_dependencies: Dependencies = ()
    """What creates the app namespace (``BakerStreetApp.namespace_resources``): the ConfigMap waits for it."""


class HooksRuntime(pulumi.ComponentResource):
    """The ConfigMap the hooks runtime (and the stack policies) read."""

    def __init__(self, name: str, args: HooksRuntimeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("bakerst:hooks:HooksRuntime", name, {}, opts)
        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.name, namespace=args.namespace, labels=component_labels(args.labels, COMPONENT)
            ),
            data={
                AUDIT_KEY: _yaml(audit_document(args.audit)),
                GOVERNANCE_KEY: _yaml(governance_document(args.rate_limits, args.budgets, args.model_prices)),
                GUARDRAILS_KEY: _yaml(guardrails_document(args.guardrails)),
                **({SERVICE_KEY: _yaml(dict(args.service))} if args.service is not None else {}),
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=after(args.app_namespace_dependencies)),
        )
        self.config_map_name: pulumi.Output[str] = self.config_map.metadata.apply(lambda m: m.name or "")
        self.register_outputs({"configMapName": self.config_map_name})
