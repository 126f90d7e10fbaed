"""The typed stack configuration: one pydantic model for every ``bakerst:*`` key.

Pure data and validation: no Pulumi import here, so the model can be used by the
policy pack, the docs generator and the hooks runtime alike. ``config_loader`` reads
the values from Pulumi config and turns validation errors into messages that name the
key, the value and the expected form.

Every model forbids unknown keys: a typo is an error, never a silently ignored setting.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from components.app_config import (
    AdmissionConfig,
    AppHardeningConfig,
    ExternalSecretsConfig,
    HooksSidecarConfig,
    ImageSignatureConfig,
    SecretStoreConfig,
)
from components.config_types import (
    CONFIG_NAMESPACE,
    RESERVED_LABEL_KEYS,
    CrossFieldError,
    DigestImageRef,
    DnsLabel,
    Labels,
    NamespaceName,
    PodSecurityVersion,
    Port,
    Quantity,
    RegistryHost,
    StrictModel,
    registry_of,
)
from components.quantity import parse_quantity
from components.supported import KYVERNO_NEWEST_PSS_MINOR, OLDEST_KUBERNETES_MINOR
from hooks.audit.config import AuditRuntimeConfig
from hooks.governance.pricing import ModelPrice, PriceTable, PricingError

__all__ = ["CONFIG_NAMESPACE", "CrossFieldError", "StackConfig"]

# --------------------------------------------------------------------------------------
# Groups
# --------------------------------------------------------------------------------------


class PodSecurityConfig(StrictModel):
    """Pod Security admission labels put on the namespaces the stack manages."""

    version: PodSecurityVersion = Field(
        default=f"v1.{OLDEST_KUBERNETES_MINOR}",
        description="Pinned Pod Security Standards version for the `-version` labels (`enforce`, `audit`, `warn`).",
    )
    app_namespace_level: Literal["restricted", "baseline", "privileged"] = Field(
        default="restricted",
        description="Pod Security level enforced on the app namespace (the task namespace is always `restricted`).",
    )


class TaskQuotaConfig(StrictModel):
    """Hard ceiling for everything running in the task namespace (requests and limits alike)."""

    cpu: Quantity = Field(default="4", description="CPU for all task pods together (requests.cpu and limits.cpu).")
    memory: Quantity = Field(
        default="2Gi", description="Memory for all task pods together (requests.memory and limits.memory)."
    )
    pods: int = Field(default=10, ge=1, le=1000, description="Pods that may exist at once in the task namespace.")
    jobs: int = Field(default=10, ge=1, le=1000, description="Jobs that may exist at once (`count/jobs.batch`).")


class ContainerResources(StrictModel):
    """A CPU and memory pair for one container."""

    cpu: Quantity = Field(description="CPU, e.g. `500m`.")
    memory: Quantity = Field(description="Memory, e.g. `512Mi`.")


class TaskLimitsConfig(StrictModel):
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


class NetworkIsolationConfig(StrictModel):
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


class BrainAccessConfig(StrictModel):
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


class RateLimitsConfig(StrictModel):
    """Request limits the hooks runtime enforces (overridable by RATE_LIMIT_PER_USER / RATE_LIMIT_GLOBAL)."""

    per_user_per_minute: int = Field(default=30, ge=1, le=100_000, description="Requests per user per minute.")
    global_per_minute: int = Field(default=200, ge=1, le=10_000_000, description="Requests per minute, all users.")


class BudgetsConfig(StrictModel):
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


class GuardrailsConfig(StrictModel):
    """The guardrail chain the hooks runtime runs at every tool call."""

    config_file: str | None = Field(
        default=None,
        min_length=1,
        description="Guardrail chain YAML (tools, schemas, risk rules), relative to the project; validated at "
        "`pulumi up`. Unset: the default chain (all five checks, every tool unknown and so blocked).",
    )


class HooksRuntimeConfig(StrictModel):
    """Where the rendered hooks runtime configuration lives."""

    config_map: DnsLabel = Field(
        default="bakerst-hooks", description="ConfigMap in the app namespace holding audit/governance/guardrails YAML."
    )


class StackConfig(StrictModel):
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
    model_prices: dict[str, ModelPrice] = Field(
        default_factory=dict,
        description="USD per million input/output tokens per model id (as the app's model router names them), "
        "with an optional cheaper `fallback`: the governor reserves and charges by it and refuses an unpriced model.",
    )
    audit: AuditRuntimeConfig = Field(
        default_factory=AuditRuntimeConfig,
        description="The hooks runtime's audit trail: tamper evidence, flush cadence, sinks.",
    )
    guardrails: GuardrailsConfig = Field(default_factory=GuardrailsConfig)
    hooks_runtime: HooksRuntimeConfig = Field(default_factory=HooksRuntimeConfig)
    hooks_sidecar: HooksSidecarConfig = Field(default_factory=HooksSidecarConfig)
    base_dir: str | None = Field(
        default=None,
        min_length=1,
        description="Upstream Baker Street kustomize directory (its `k8s/`), relative to the project; "
        "unset: the app is not deployed by this stack.",
    )
    images: dict[str, DigestImageRef] = Field(
        default_factory=dict,
        description="Upstream image name (as in the manifests, e.g. `bakerst-brain:latest`) to the digest-pinned "
        "reference deployed instead (`registry/repo@sha256:<64 hex>`).",
    )
    registries: list[RegistryHost] = Field(
        default_factory=list, description="Registries images may come from (Kyverno refuses all others)."
    )
    image_signature: ImageSignatureConfig | None = Field(
        default=None, description="How the images are signed; Kyverno verifies every pod's images against it."
    )
    secret_store: SecretStoreConfig | None = Field(
        default=None, description="The External Secrets ClusterSecretStore (unset: no External Secrets objects)."
    )
    external_secrets: ExternalSecretsConfig = Field(default_factory=ExternalSecretsConfig)
    admission: AdmissionConfig = Field(default_factory=AdmissionConfig)
    app_hardening: AppHardeningConfig = Field(default_factory=AppHardeningConfig)

    @model_validator(mode="after")
    def _cross_field(self) -> StackConfig:
        for check in (
            _namespaces_differ,
            _labels_not_reserved,
            _limits_ordered,
            _rates_ordered,
            _budgets_ordered,
            _app_needs_supply_chain,
            _images_from_allowed_registries,
            _pss_version_known_to_kyverno,
            _hooks_sidecar_complete,
            _model_prices_chain,
        ):
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


def _app_needs_supply_chain(cfg: StackConfig) -> None:
    if cfg.base_dir is None:
        return
    if not cfg.images:
        raise CrossFieldError(
            "images",
            {},
            "is empty; deploying the app (baseDir is set) needs a digest-pinned image for every upstream "
            'image, e.g. {"bakerst-brain:latest": "registry.example/bakerst/brain@sha256:<64 hex>"}',
        )
    if not cfg.registries:
        raise CrossFieldError(
            "registries", [], 'is empty; list the registries your images come from, e.g. ["registry.example"]'
        )
    if cfg.image_signature is None:
        raise CrossFieldError(
            "imageSignature", None, "is missing; deploying the app needs signed images (keys or keyless)"
        )


#: Key of the hooks Secret with the audit checkpoint signing key (`writer/checkpoint.key` of `audit keygen`).
#: Each brain Deployment also needs its own chain state, `AUDIT_WRITER_STATE_<DEPLOYMENT>` (checked against the
#: upstream objects in ``components.upstream``): two writers must never share one chain.
AUDIT_CHECKPOINT_KEY = "AUDIT_CHECKPOINT_KEY"


def _hooks_sidecar_complete(cfg: StackConfig) -> None:
    sidecar = cfg.hooks_sidecar
    if not sidecar.enabled:
        return
    if cfg.base_dir is None:
        raise CrossFieldError(
            "hooksSidecar.enabled", True, "needs the app (baseDir): the sidecar runs in the brain's pod"
        )
    # Its image is checked with the upstream images (components.upstream), so every missing one is listed at once.
    if cfg.secret_store is None:
        raise CrossFieldError(
            "secretStore", None, "is missing; the hooks sidecar's tokens and audit key come from External Secrets"
        )
    service = cfg.external_secrets.services.get(sidecar.secrets_service)
    if service is None:
        raise CrossFieldError(
            "externalSecrets.services",
            sorted(cfg.external_secrets.services),
            f"lacks {sidecar.secrets_service!r} (hooksSidecar.secretsService): the Secret with the hooks tokens",
        )
    missing = [k for k in (*sidecar.auth.token_envs(), AUDIT_CHECKPOINT_KEY) if k not in service.data]
    if missing:
        raise CrossFieldError(
            f"externalSecrets.services.{sidecar.secrets_service}.data",
            sorted(service.data),
            f"lacks {', '.join(missing)}; the hooks sidecar reads each from this Secret",
        )


def _model_prices_chain(cfg: StackConfig) -> None:
    try:
        PriceTable(cfg.model_prices)
    except PricingError as exc:
        raise CrossFieldError("modelPrices", sorted(cfg.model_prices), f"has a bad downgrade chain: {exc}") from None


def _images_from_allowed_registries(cfg: StackConfig) -> None:
    for name, reference in cfg.images.items():
        registry = registry_of(reference)
        if cfg.registries and registry not in cfg.registries:
            raise CrossFieldError(
                f"images.{name}",
                reference,
                f"comes from registry {registry!r}, which is not in registries ({', '.join(cfg.registries)}); "
                "add it there or mirror the image",
            )


def _pss_version_known_to_kyverno(cfg: StackConfig) -> None:
    minor = int(cfg.pod_security.version.split(".")[1])
    if cfg.image_signature is not None and minor > KYVERNO_NEWEST_PSS_MINOR:
        raise CrossFieldError(
            "podSecurity.version",
            cfg.pod_security.version,
            f"is newer than Kyverno's podSecurity rule accepts (up to v1.{KYVERNO_NEWEST_PSS_MINOR}); "
            f'pin "v1.{KYVERNO_NEWEST_PSS_MINOR}" or older while the admission policies are on',
        )


def top_level_keys() -> dict[str, Any]:
    """Map each camelCase top-level key to its field info (for loaders and docs)."""
    return {info.alias or name: info for name, info in StackConfig.model_fields.items()}
