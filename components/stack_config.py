"""The typed stack configuration: one pydantic model for every ``bakerst:*`` key.

Pure data and validation: no Pulumi import here, so the model can be used by the
policy pack, the docs generator and the hooks runtime alike. ``config_loader`` reads
the values from Pulumi config and turns validation errors into messages that name the
key, the value and the expected form.

Every model forbids unknown keys: a typo is an error, never a silently ignored setting.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from components.quantity import QuantityError, parse_quantity
from components.supported import NEWEST_KUBERNETES_MINOR, OLDEST_KUBERNETES_MINOR

#: Pulumi config namespace of every key in this model.
CONFIG_NAMESPACE = "bakerst"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})

#: Labels the project sets itself; ``commonLabels`` may not override them.
RESERVED_LABEL_KEYS = frozenset(
    {
        "app.kubernetes.io/managed-by",
        "app.kubernetes.io/part-of",
        "app.kubernetes.io/component",
        "bakerst.io/environment",
    }
)


class CrossFieldError(ValueError):
    """A constraint between fields failed; ``key`` is the dotted key to blame."""

    def __init__(self, key: str, value: object, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.value = value
        self.reason = reason


# --------------------------------------------------------------------------------------
# Scalar types with messages that say what is expected
# --------------------------------------------------------------------------------------


def _quantity(value: str) -> str:
    try:
        parse_quantity(value)
    except QuantityError:
        raise PydanticCustomError("k8s_quantity", 'is not a Kubernetes quantity, e.g. "2Gi" or "500m"') from None
    return value


def _dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise PydanticCustomError(
            "dns_label",
            'is not a DNS-1123 label (lower-case letters, digits and "-", at most 63), e.g. "bakerst-tasks"',
        )
    return value


def _namespace(value: str) -> str:
    _dns_label(value)
    if value in _RESERVED_NAMESPACES:
        raise PydanticCustomError(
            "reserved_namespace",
            'is a namespace Kubernetes reserves; choose a dedicated one, e.g. "bakerst-tasks"',
        )
    return value


def _label_key(key: str) -> str:
    prefix, _, name = key.rpartition("/")
    if (
        not name
        or len(name) > 63
        or not _LABEL_NAME.match(name)
        or (prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)))
    ):
        raise PydanticCustomError("label_key", 'is not a Kubernetes label key, e.g. "team" or "example.com/team"')
    return key


def _label_value(value: str) -> str:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise PydanticCustomError(
            "label_value",
            'is not a Kubernetes label value (at most 63 letters, digits, "-", "_", "."), e.g. "payments"',
        )
    return value


def _pss_version(value: str) -> str:
    match = re.fullmatch(r"v1\.(\d+)", value)
    if match is None or not OLDEST_KUBERNETES_MINOR <= int(match[1]) <= NEWEST_KUBERNETES_MINOR:
        raise PydanticCustomError(
            "pss_version",
            "is not a pinned Pod Security version this project supports "
            f'(v1.{OLDEST_KUBERNETES_MINOR} to v1.{NEWEST_KUBERNETES_MINOR}; "latest" is not pinned), '
            f'e.g. "v1.{OLDEST_KUBERNETES_MINOR}"',
        )
    return value


Quantity = Annotated[str, AfterValidator(_quantity)]
DnsLabel = Annotated[str, AfterValidator(_dns_label)]
NamespaceName = Annotated[str, AfterValidator(_namespace)]
LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, AfterValidator(_label_value)]
Labels = dict[LabelKey, LabelValue]
PodSecurityVersion = Annotated[str, AfterValidator(_pss_version)]
Port = Annotated[int, Field(ge=1, le=65535)]


class _Model(BaseModel):
    """Base: camelCase keys as in Pulumi config, unknown keys rejected, values frozen."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )


# --------------------------------------------------------------------------------------
# Groups
# --------------------------------------------------------------------------------------


class PodSecurityConfig(_Model):
    """Pod Security admission labels put on the namespaces the stack manages."""

    version: PodSecurityVersion = Field(
        default=f"v1.{OLDEST_KUBERNETES_MINOR}",
        description="Pinned Pod Security Standards version for the `-version` labels (`enforce`, `audit`, `warn`).",
    )


class TaskQuotaConfig(_Model):
    """Hard ceiling for everything running in the task namespace (requests and limits alike)."""

    cpu: Quantity = Field(default="4", description="CPU for all task pods together (requests.cpu and limits.cpu).")
    memory: Quantity = Field(
        default="2Gi", description="Memory for all task pods together (requests.memory and limits.memory)."
    )
    pods: int = Field(default=10, ge=1, le=1000, description="Pods that may exist at once in the task namespace.")
    jobs: int = Field(default=10, ge=1, le=1000, description="Jobs that may exist at once (`count/jobs.batch`).")


class ContainerResources(_Model):
    """A CPU and memory pair for one container."""

    cpu: Quantity = Field(description="CPU, e.g. `500m`.")
    memory: Quantity = Field(description="Memory, e.g. `512Mi`.")


class TaskLimitsConfig(_Model):
    """LimitRange for task containers: defaults so pods that omit requests are admitted under the quota."""

    default_request: ContainerResources = Field(
        default=ContainerResources(cpu="100m", memory="128Mi"),
        description="Requests given to a task container that sets none.",
    )
    default_limit: ContainerResources = Field(
        default=ContainerResources(cpu="500m", memory="512Mi"),
        description="Limits given to a task container that sets none.",
    )
    max: ContainerResources = Field(
        default=ContainerResources(cpu="1", memory="1Gi"),
        description="Largest limits any one task container may ask for.",
    )


class NetworkIsolationConfig(_Model):
    """Who task pods may talk to: NATS in the app namespace and cluster DNS, nothing else."""

    nats_pod_labels: Labels = Field(
        default={"app": "nats"}, description="Labels of the app's NATS pods (in the app namespace)."
    )
    nats_port: Port = Field(default=4222, description="NATS client port (TCP).")
    dns_namespace: DnsLabel = Field(default="kube-system", description="Namespace of the cluster DNS pods.")
    dns_pod_labels: Labels = Field(default={"k8s-app": "kube-dns"}, description="Labels of the cluster DNS pods.")
    admin_network_policy: bool = Field(
        default=False,
        description=(
            "Also create an AdminNetworkPolicy (`policy.networking.k8s.io/v1alpha1`) that denies task-namespace "
            "traffic to every app pod but NATS, regardless of NetworkPolicies. Needs a CNI that implements it."
        ),
    )
    admin_network_policy_priority: int = Field(
        default=20, ge=0, le=999, description="Priority of that AdminNetworkPolicy (0 is evaluated first)."
    )


AppNamespaceGrant = Literal["runtime-secret", "restart-deployments"]


class BrainAccessConfig(_Model):
    """What the brain ServiceAccount may do: Jobs and Pods in the task namespace, and opt-in app rights."""

    service_account: DnsLabel = Field(default="brain", description="The brain's ServiceAccount (in the app namespace).")
    app_namespace_grants: list[AppNamespaceGrant] = Field(
        default_factory=list,
        description=(
            "Rights the brain keeps in the app namespace: `runtime-secret` (get/update/patch the `bakerst-secrets` "
            "Secret only), `restart-deployments` (get/patch Deployments). Default: none; never Jobs or other Secrets."
        ),
    )

    @field_validator("app_namespace_grants")
    @classmethod
    def _unique(cls, grants: list[str]) -> list[str]:
        if len(set(grants)) != len(grants):
            raise PydanticCustomError("duplicate_grant", "lists a grant twice; list each once")
        return grants


class RateLimitsConfig(_Model):
    """Request limits the hooks runtime enforces (overridable by RATE_LIMIT_PER_USER / RATE_LIMIT_GLOBAL)."""

    per_user_per_minute: int = Field(default=30, ge=1, le=100_000, description="Requests per user per minute.")
    global_per_minute: int = Field(default=200, ge=1, le=10_000_000, description="Requests per minute, all users.")


class BudgetsConfig(_Model):
    """Cost governance the hooks runtime enforces, in US dollars per UTC calendar period."""

    daily_usd: Decimal = Field(
        default=Decimal(50), gt=0, le=10_000_000, decimal_places=2, description="Daily budget (UTC day), USD."
    )
    monthly_usd: Decimal = Field(
        default=Decimal(1000), gt=0, le=100_000_000, decimal_places=2, description="Monthly budget (UTC month), USD."
    )
    alert_threshold: Decimal = Field(
        default=Decimal("0.8"), gt=0, lt=1, decimal_places=3, description="Fraction of a budget that fires the warning."
    )
    fallback_strategy: Literal["downgrade", "deny"] = Field(
        default="downgrade",
        description="Over budget: `downgrade` along the cheaper-model chain, or `deny` at once.",
    )


class StackConfig(_Model):
    """Every ``bakerst:*`` key of a stack."""

    environment: DnsLabel = Field(
        default="production", description="Environment name, put on every object as `bakerst.io/environment`."
    )
    app_namespace: NamespaceName = Field(default="bakerst", description="Namespace of the Baker Street app.")
    task_namespace: NamespaceName = Field(
        default="bakerst-tasks", description="Dedicated namespace for the task Jobs the brain creates."
    )
    task_service_account: DnsLabel = Field(
        default="bakerst-task", description="ServiceAccount the task Jobs run as (upstream: `bakerst-task`)."
    )
    common_labels: Labels = Field(
        default_factory=dict, description="Extra labels put on every object (may not override the project's own)."
    )
    pod_security: PodSecurityConfig = Field(default_factory=PodSecurityConfig)
    task_quota: TaskQuotaConfig = Field(default_factory=TaskQuotaConfig)
    task_limits: TaskLimitsConfig = Field(default_factory=TaskLimitsConfig)
    network_isolation: NetworkIsolationConfig = Field(default_factory=NetworkIsolationConfig)
    brain_access: BrainAccessConfig = Field(default_factory=BrainAccessConfig)
    rate_limits: RateLimitsConfig = Field(default_factory=RateLimitsConfig)
    budgets: BudgetsConfig = Field(default_factory=BudgetsConfig)

    @model_validator(mode="after")
    def _cross_field(self) -> StackConfig:
        for check in (_namespaces_differ, _labels_not_reserved, _limits_ordered, _rates_ordered, _budgets_ordered):
            check(self)
        return self


# --------------------------------------------------------------------------------------
# Cross-field rules (each raises CrossFieldError naming the key to fix)
# --------------------------------------------------------------------------------------


def _namespaces_differ(cfg: StackConfig) -> None:
    if cfg.task_namespace == cfg.app_namespace:
        raise CrossFieldError(
            "taskNamespace",
            cfg.task_namespace,
            f'must differ from appNamespace ("{cfg.app_namespace}"): task pods need a namespace of their own, '
            'e.g. "bakerst-tasks"',
        )


def _labels_not_reserved(cfg: StackConfig) -> None:
    for key in cfg.common_labels:
        if key in RESERVED_LABEL_KEYS:
            raise CrossFieldError(
                f"commonLabels.{key}",
                cfg.common_labels[key],
                "is a label the project sets itself; remove it from commonLabels",
            )


def _limits_ordered(cfg: StackConfig) -> None:
    lim, quota = cfg.task_limits, cfg.task_quota
    for resource in ("cpu", "memory"):
        request = getattr(lim.default_request, resource)
        default = getattr(lim.default_limit, resource)
        maximum = getattr(lim.max, resource)
        ceiling = getattr(quota, resource)
        if parse_quantity(request) > parse_quantity(default):
            raise CrossFieldError(
                f"taskLimits.defaultRequest.{resource}",
                request,
                f"is larger than taskLimits.defaultLimit.{resource} ({default}); a request may not exceed its limit",
            )
        if parse_quantity(default) > parse_quantity(maximum):
            raise CrossFieldError(
                f"taskLimits.defaultLimit.{resource}",
                default,
                f"is larger than taskLimits.max.{resource} ({maximum}); raise max or lower the default",
            )
        if parse_quantity(maximum) > parse_quantity(ceiling):
            raise CrossFieldError(
                f"taskLimits.max.{resource}",
                maximum,
                f"is larger than the whole task quota taskQuota.{resource} ({ceiling}); "
                "such a container could never be admitted",
            )


def _rates_ordered(cfg: StackConfig) -> None:
    if cfg.rate_limits.per_user_per_minute > cfg.rate_limits.global_per_minute:
        raise CrossFieldError(
            "rateLimits.perUserPerMinute",
            cfg.rate_limits.per_user_per_minute,
            f"is larger than rateLimits.globalPerMinute ({cfg.rate_limits.global_per_minute}); "
            "one user may not exceed the global limit",
        )


def _budgets_ordered(cfg: StackConfig) -> None:
    if cfg.budgets.daily_usd > cfg.budgets.monthly_usd:
        raise CrossFieldError(
            "budgets.dailyUsd",
            str(cfg.budgets.daily_usd),
            f"is larger than budgets.monthlyUsd ({cfg.budgets.monthly_usd}); a day may not exceed its month",
        )


def top_level_keys() -> dict[str, Any]:
    """Map each camelCase top-level key to its field info (for loaders and docs)."""
    return {info.alias or name: info for name, info in StackConfig.model_fields.items()}
