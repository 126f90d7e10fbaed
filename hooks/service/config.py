"""The hooks service's one config file: the ``HooksRuntime`` ConfigMap's three documents plus the service's own keys.

Layout (camelCase, snake_case accepted)::

    service:                         # this module's ServiceSettings
      auditKeys: /var/lib/bakerst/audit-keys
      auth:
        applicationTokenEnv: HOOKS_APP_TOKEN
        approvers: [{name: alice, tokenEnv: HOOKS_APPROVER_ALICE}]
        approverGroups: [{name: oncall, tokenEnv: HOOKS_APPROVERS_ONCALL, members: [bob, carol]}]
    audit: {...} | "path/to/audit.yaml"            # hooks.audit.config.AuditRuntimeConfig
    governance: {...} | "path/to/governance.yaml"  # hooks.governance.config.GovernanceConfig
    guardrails: {...} | "path/to/guardrails.yaml"  # hooks.guardrails.config.GuardrailConfig

Each of the three documents is given inline or as a path (relative paths are relative to the config file), so the
ConfigMap's files can be used as they are, mounted. The file may also be the ConfigMap manifest itself
(``kind: ConfigMap``) with ``service.yaml`` beside ``audit.yaml``, ``governance.yaml`` and ``guardrails.yaml``.
Tokens never appear in the file: it names the environment variables, and :func:`resolve_tokens` reads them,
failing with every missing variable's name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from hooks.audit.config import AuditConfigError, AuditRuntimeConfig, parse_audit_config
from hooks.config_errors import invalid_message
from hooks.governance.config import GovernanceConfig, GovernanceConfigError, build_governance_config
from hooks.guardrails.config import GuardrailConfig, GuardrailConfigError, parse_guardrail_config

ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
IDENTITY = r"^[A-Za-z0-9._@-]{1,64}$"


class ServiceConfigError(ValueError):
    """The service config cannot be used; the message names the field, file or variable."""


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, alias_generator=to_camel, allow_inf_nan=False
    )


class Approver(_Strict):
    """One person who may decide held calls, with a token of their own."""

    name: str = Field(pattern=IDENTITY, description="The approver's identity (audited as the decider).")
    token_env: str = Field(pattern=ENV_NAME, description="Environment variable holding the approver's bearer token.")


class ApproverGroup(_Strict):
    """Several people sharing one token; each names themself in the ``X-Approver`` header (one of ``members``)."""

    name: str = Field(pattern=IDENTITY, description="Group name; the decider is audited as `<group>/<member>`.")
    token_env: str = Field(pattern=ENV_NAME, description="Environment variable holding the group's bearer token.")
    members: list[str] = Field(min_length=1, description="Member identities (the `X-Approver` header's values).")

    @model_validator(mode="after")
    def _members_valid(self) -> ApproverGroup:
        for member in self.members:
            if not re.fullmatch(IDENTITY, member):
                raise ValueError(f"member {member!r} must match {IDENTITY}")
        if len(set(self.members)) != len(self.members):
            raise ValueError("members lists a name twice")
        return self


class AuthSettings(_Strict):
    application_token_env: str = Field(
        pattern=ENV_NAME, description="Environment variable holding the application's (the brain's) bearer token."
    )
    approvers: list[Approver] = Field(default_factory=list)
    approver_groups: list[ApproverGroup] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct(self) -> AuthSettings:
        envs = [self.application_token_env, *(a.token_env for a in self.approvers)]
        envs += [g.token_env for g in self.approver_groups]
        if len(set(envs)) != len(envs):
            raise ValueError("every token variable must be distinct (one identity per token)")
        names = [a.name for a in self.approvers] + [g.name for g in self.approver_groups]
        if len(set(names)) != len(names):
            raise ValueError("approver and group names must be distinct")
        return self

    def token_envs(self) -> list[str]:
        return [self.application_token_env, *(a.token_env for a in self.approvers)] + [
            g.token_env for g in self.approver_groups
        ]


class ApprovalStoreSettings(_Strict):
    backend: Literal["auto", "memory", "redis"] = Field(
        default="auto",
        description="`auto`: Redis when governance has a `redisUrl` (shared by replicas, survives restarts), "
        "else in-process (one replica).",
    )
    redis_url: str | None = Field(default=None, description="Default: the governance `redisUrl`.")
    retention_seconds: int = Field(
        default=7 * 86_400, ge=60, le=90 * 86_400, description="Decided requests stay readable this long."
    )
    poll_interval_ms: int = Field(
        default=200, ge=10, le=5000, description="How often a held call looks for a decision made on another replica."
    )


class ServiceSettings(_Strict):
    audit_keys: str = Field(min_length=1, description="Key directory from `bakerst-hardened audit keygen` (writer/).")
    create_audit_keys: bool = Field(
        default=False,
        description="Run keygen when `auditKeys` is empty (development only: the verifier material must then be "
        "moved off the host).",
    )
    auth: AuthSettings
    approvals: ApprovalStoreSettings = Field(default_factory=ApprovalStoreSettings)
    max_body_bytes: int = Field(default=2_000_000, ge=1024, le=100_000_000, description="Larger bodies get 413.")
    audit_flush_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="How long POST /v1/audit/events waits for the spool."
    )
    reservations_kept: int = Field(default=100_000, ge=100, description="Open LLM reservations remembered.")
    shutdown_grace_seconds: int = Field(
        default=20, ge=1, le=3600, description="On SIGTERM, how long in-flight requests (held calls) may finish."
    )


class _File(_Strict):
    service: ServiceSettings
    audit: dict[str, Any] | str = Field(default_factory=dict)
    governance: dict[str, Any] | str = Field(default_factory=dict)
    guardrails: dict[str, Any] | str = Field(default_factory=dict)


@dataclass(frozen=True)
class HooksServiceConfig:
    """Everything the service builds its objects from (validated, paths resolved)."""

    service: ServiceSettings
    audit: AuditRuntimeConfig
    governance: GovernanceConfig
    guardrails: GuardrailConfig
    source: str


def _document(value: dict[str, Any] | str, base: Path, name: str) -> tuple[Any, str]:
    if isinstance(value, dict):
        return value, f"{name} (inline)"
    path = Path(value)
    path = path if path.is_absolute() else base / path
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}, str(path)
    except (OSError, yaml.YAMLError) as exc:
        raise ServiceConfigError(f"{name}: cannot read {path}: {exc}") from None


CONFIGMAP_KEYS = {"service": "service.yaml", "audit": "audit.yaml", "governance": "governance.yaml",
                  "guardrails": "guardrails.yaml"}  # fmt: skip


def from_configmap(manifest: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The config from a Kubernetes ConfigMap manifest holding ``service.yaml`` and the HooksRuntime documents."""
    data = manifest.get("data")
    if not isinstance(data, Mapping):
        raise ServiceConfigError(f"{source}: the ConfigMap has no data")
    out: dict[str, Any] = {}
    for section, key in CONFIGMAP_KEYS.items():
        if key not in data:
            if section == "service":
                raise ServiceConfigError(f"{source}: the ConfigMap has no {key} (the service's own section)")
            continue
        try:
            out[section] = yaml.safe_load(str(data[key])) or {}
        except yaml.YAMLError as exc:
            raise ServiceConfigError(f"{source}: data.{key} is not YAML: {exc}") from None
    return out


def parse_service_config(
    data: Any, *, base: Path, source: str = "hooks config", env: Mapping[str, str] | None = None
) -> HooksServiceConfig:
    """``data`` is the config mapping, or a ConfigMap manifest (``kind: ConfigMap``) with the same as data keys."""
    if not isinstance(data, dict):
        raise ServiceConfigError(f"{source}: the top level must be a mapping")
    if data.get("kind") == "ConfigMap":
        data = from_configmap(data, source)
    try:
        raw = _File.model_validate(data)
    except ValidationError as exc:
        raise ServiceConfigError(invalid_message(source, exc)) from None
    audit_data, audit_source = _document(raw.audit, base, "audit")
    gov_data, gov_source = _document(raw.governance, base, "governance")
    guard_data, guard_source = _document(raw.guardrails, base, "guardrails")
    try:
        audit = parse_audit_config(audit_data, audit_source)
        if not isinstance(gov_data, dict):
            raise ServiceConfigError(f"{gov_source}: the top level must be a mapping")
        governance = build_governance_config(gov_data, env)
        guardrails = parse_guardrail_config(guard_data, guard_source)
    except (AuditConfigError, GovernanceConfigError, GuardrailConfigError) as exc:
        raise ServiceConfigError(str(exc)) from None
    return HooksServiceConfig(raw.service, audit, governance, guardrails, source)


def load_service_config(path: Path, env: Mapping[str, str] | None = None) -> HooksServiceConfig:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ServiceConfigError(f"{path}: cannot read the hooks config: {exc}") from None
    return parse_service_config(data, base=Path(path).resolve().parent, source=str(path), env=env)


@dataclass(frozen=True)
class Credentials:
    """Bearer tokens by identity (read from the environment once, at start)."""

    application: str
    approvers: dict[str, str]
    """Approver name -> token."""
    groups: dict[str, tuple[str, tuple[str, ...]]]
    """Group name -> (token, members)."""


def resolve_tokens(auth: AuthSettings, env: Mapping[str, str] | None = None) -> Credentials:
    """Read every token variable; raise naming all of those that are unset or empty."""
    env = os.environ if env is None else env
    missing = [name for name in auth.token_envs() if not env.get(name)]
    if missing:
        raise ServiceConfigError(
            f"the hooks service needs these token environment variables set (non-empty): {', '.join(missing)}"
        )
    tokens = [env[name] for name in auth.token_envs()]
    if len(set(tokens)) != len(tokens):
        raise ServiceConfigError("two token variables hold the same token: every identity needs its own token")
    return Credentials(
        application=env[auth.application_token_env],
        approvers={a.name: env[a.token_env] for a in auth.approvers},
        groups={g.name: (env[g.token_env], tuple(g.members)) for g in auth.approver_groups},
    )
