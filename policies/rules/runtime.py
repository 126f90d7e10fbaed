"""Runtime controls carried by the hooks ConfigMap: audit trail (BSH-AUD-01), rate limits (BSH-RTL-01), budgets
(BSH-CST-01) and the guardrail chain (BSH-GRD-01). These are stack policies over the ``audit.yaml``,
``governance.yaml`` and ``guardrails.yaml`` the stack renders for the hooks runtime."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import yaml
from pulumi_policy import ReportViolation, Severity
from pydantic.alias_generators import to_snake

from hooks.audit.config import AuditConfigError, parse_audit_config, sink_uses_tls
from hooks.governance.config import GovernanceConfig, GovernanceConfigError, build_governance_config
from hooks.guardrails.config import GuardrailConfigError, parse_guardrail_config
from policies.k8s import as_list, container_label, containers, describe, get, pod_spec
from policies.rules._objects import hooks_config, objects, of_kind
from policies.spec import PolicySpec

ALL_CHECKS = ("injection", "schema", "risk", "approval", "sanitization")
RISK_ORDER = ("low", "medium", "high", "critical")
#: Environment variables the runtime reads over governance.yaml (hooks.governance.config).
GOVERNANCE_ENV = ("RATE_LIMIT_PER_USER", "RATE_LIMIT_GLOBAL", "COST_LIMIT_DAILY", "COST_LIMIT_MONTHLY",
                  "COST_FALLBACK_STRATEGY")  # fmt: skip


def _document(args: Any, key: str, report: ReportViolation) -> Mapping[str, Any] | None:
    """The parsed ``key`` of the one hooks ConfigMap, or None after reporting why it is unusable."""
    maps = hooks_config(objects(args))
    if not maps:
        report(
            "The stack renders no hooks runtime ConfigMap (label app.kubernetes.io/component=hooks-runtime-config).",
            None,
        )
        return None
    if len(maps) > 1:
        names = ", ".join(f"{m.namespace}/{m.name}" for m in maps)
        report(f"The stack renders more than one hooks runtime ConfigMap ({names}); which one runs is ambiguous.", None)
        return None
    config_map = maps[0]
    where = f"ConfigMap {config_map.namespace}/{config_map.name}"
    text = get(config_map.props, "data", key)
    if not isinstance(text, str):
        report(f"{where} has no {key}.", config_map.urn)
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        report(f"{where} {key} is not valid YAML: {exc}.", config_map.urn)
        return None
    if not isinstance(data, Mapping):
        report(f"{where} {key} is not a mapping.", config_map.urn)
        return None
    return data


def audit_remote(args: Any, report: ReportViolation) -> None:
    data = _document(args, "audit.yaml", report)
    if data is None:
        return
    try:
        audit = parse_audit_config(dict(data), "audit.yaml")
    except AuditConfigError as exc:
        report(f"{exc} (the runtime would refuse to start).", None)
        return
    config = args.get_config()
    if not audit.tamper_evidence:
        report("audit.yaml turns tamper evidence off (tamperEvidence is not true).", None)
    remote = audit.remote_sinks()
    if not remote:
        kinds = ", ".join(s.type for s in audit.sinks) or "none"
        report(f"audit.yaml ships to no remote sink (loki, splunk, datadog, syslog); configured: {kinds}.", None)
    for sink in remote:
        if not sink_uses_tls(sink) and config.get("requireTls", True):
            where = getattr(sink, "url", None) or f"{getattr(sink, 'host', '?')}:{getattr(sink, 'port', '?')}"
            report(f"audit.yaml {sink.type} sink {where} is not TLS-protected.", None)
    limit = float(config.get("maxCheckpointIntervalSeconds", 300))
    if audit.checkpoint_interval_seconds > limit:
        report(
            f"audit.yaml checkpointIntervalSeconds {audit.checkpoint_interval_seconds:g} exceeds {limit:g} "
            "(the unanchored tail an attacker could truncate).",
            None,
        )


def _container_env(
    container: Mapping[str, Any], namespace: str, config_maps: Mapping[tuple[str, str], Mapping[str, Any]]
) -> tuple[dict[str, str], list[str]]:
    """The governance variables one container sets, as Kubernetes resolves them (``envFrom`` first, ``env`` over
    it; ConfigMap references resolved from the stack), and the ones it sets from somewhere the stack cannot show."""
    env: dict[str, str] = {}
    unverifiable: list[str] = []
    for source in as_list(container.get("envFrom")):
        ref = get(source, "configMapRef", "name")
        prefix = str(get(source, "prefix") or "")
        if ref is None:
            continue
        data = config_maps.get((namespace, str(ref)))
        if data is None:
            unverifiable.append(f"envFrom ConfigMap {ref}")
            continue
        for key, value in data.items():
            if f"{prefix}{key}" in GOVERNANCE_ENV:
                env[f"{prefix}{key}"] = str(value)
    for item in as_list(container.get("env")):
        if not isinstance(item, Mapping) or item.get("name") not in GOVERNANCE_ENV:
            continue
        name = str(item["name"])
        if isinstance(item.get("value"), str):
            env[name] = item["value"]
            continue
        ref = get(item, "valueFrom", "configMapKeyRef")
        data = config_maps.get((namespace, str(get(ref, "name")))) if isinstance(ref, Mapping) else None
        if isinstance(ref, Mapping) and data is not None and str(ref.get("key")) in data:
            env[name] = str(data[str(ref.get("key"))])
        else:
            unverifiable.append(f"{name} (from a source outside the stack)")
    return env, unverifiable


def _workload_envs(args: Any, report: ReportViolation) -> list[tuple[str, dict[str, str]]]:
    """``(container, overrides)`` for every container that sets a governance variable; a variable set from a
    Secret or an absent ConfigMap cannot be checked and is reported."""
    objs = objects(args)
    config_maps: dict[tuple[str, str], Mapping[str, Any]] = {}
    for config_map in of_kind(objs, "ConfigMap"):
        data = config_map.props.get("data")
        config_maps[(config_map.namespace, config_map.name)] = data if isinstance(data, Mapping) else {}
    out = []
    for obj in objs:
        spec = pod_spec(obj.kind, obj.props)
        if spec is None:
            continue
        for list_name, container in containers(spec):
            env, unverifiable = _container_env(container, obj.namespace, config_maps)
            who = f"{describe(obj.kind, obj.props)} {container_label(list_name, container)}"
            for what in unverifiable:
                report(f"{who} sets {what}: the effective limits cannot be verified.", obj.urn)
            if env:
                out.append((who, env))
    return out


def _governance(args: Any, report: ReportViolation, section: str) -> list[tuple[str, GovernanceConfig]]:
    """The governance config as the runtime would build it from governance.yaml, once for the file alone and once
    per workload that overrides it through its environment; each unusable one is reported."""
    data = _document(args, "governance.yaml", report)
    if data is None:
        return []
    if section not in data and to_snake(section) not in data:
        report(f"governance.yaml sets no {section} (the stack must state them, not rely on defaults).", None)
        return []
    built = []
    for source, env in [("governance.yaml", {}), *_workload_envs(args, report)]:
        label = source if not env else f"governance.yaml with the environment of {source}"
        try:
            built.append((label, build_governance_config(dict(data), env)))
        except GovernanceConfigError as exc:
            report(f"{label}: {exc}.", None)
    return built


def rate_limits(args: Any, report: ReportViolation) -> None:
    config = args.get_config()
    max_user = int(config.get("maxPerUserPerMinute", 600))
    max_global = int(config.get("maxGlobalPerMinute", 100_000))
    for label, governance in _governance(args, report, "rateLimits"):
        limits = governance.rate_limits
        if limits.per_user_per_minute > max_user:
            report(f"{label}: rateLimits.perUserPerMinute {limits.per_user_per_minute} is not between 1 and "
                   f"{max_user}.", None)  # fmt: skip
        if limits.global_per_minute > max_global:
            report(f"{label}: rateLimits.globalPerMinute {limits.global_per_minute} is not between 1 and "
                   f"{max_global}.", None)  # fmt: skip
        if limits.per_user_per_minute > limits.global_per_minute:
            report(f"{label}: rateLimits.perUserPerMinute ({limits.per_user_per_minute}) exceeds globalPerMinute "
                   f"({limits.global_per_minute}).", None)  # fmt: skip
        if limits.failure_mode != "closed":
            report(f"{label}: rateLimits.failureMode is not 'closed': an unreachable backend would admit everything.",
                   None)  # fmt: skip


def budgets(args: Any, report: ReportViolation) -> None:
    config = args.get_config()
    low = Decimal(str(config.get("minAlertThreshold", 0.5)))
    high = Decimal(str(config.get("maxAlertThreshold", 0.95)))
    for label, governance in _governance(args, report, "budgets"):
        budget = governance.budgets
        for name, value, cap_key in (
            ("dailyUsd", budget.daily_usd, "maxDailyUsd"),
            ("monthlyUsd", budget.monthly_usd, "maxMonthlyUsd"),
        ):
            cap = config.get(cap_key)
            if cap is not None and value > Decimal(str(cap)):
                report(f"{label}: budgets.{name} {value} exceeds the approved ceiling {cap}.", None)
        if budget.daily_usd > budget.monthly_usd:
            report(f"{label}: budgets.dailyUsd ({budget.daily_usd}) exceeds monthlyUsd ({budget.monthly_usd}).", None)
        if not low <= budget.alert_threshold <= high:
            report(f"{label}: budgets.alertThreshold '{budget.alert_threshold}' is not between {low} and {high}.",
                   None)  # fmt: skip
        if not governance.models:
            report(f"{label}: no model prices (models): the governor cannot reserve a budget for any LLM call, so "
                   "it refuses them all.", None)  # fmt: skip


def guardrails(args: Any, report: ReportViolation) -> None:
    data = _document(args, "guardrails.yaml", report)
    if data is None:
        return
    try:
        chain = parse_guardrail_config(dict(data), "guardrails.yaml")
    except GuardrailConfigError as exc:
        report(f"{exc} (the runtime would refuse to start).", None)
        return
    config = args.get_config()
    checks = list(chain.checks)
    missing = [c for c in ALL_CHECKS if c not in checks]
    if missing:
        report(f"guardrails.yaml leaves out the {', '.join(missing)} check(s).", None)
    elif checks[0] != "injection":
        report(f"guardrails.yaml runs {checks[0]} before injection detection.", None)
    bounds = (
        ("injection.threshold", chain.injection.threshold, float(config.get("maxInjectionThreshold", 0.5))),
        ("approval.timeout_seconds", chain.approval.timeout_seconds, float(config.get("maxApprovalSeconds", 3600))),
        ("limits.check_timeout_ms", chain.limits.check_timeout_ms, float(config.get("maxCheckTimeoutMs", 1000))),
    )
    for key, value, limit in bounds:
        if not 0 < float(value) <= limit:
            report(f"guardrails.yaml {key} is {value:g}, expected a number in (0, {limit:g}].", None)
    if chain.block_level not in ("high", "critical"):
        report(f"guardrails.yaml block_level {chain.block_level!r} is not high or critical.", None)
    if RISK_ORDER.index(chain.approval.level) >= RISK_ORDER.index(chain.block_level):
        report(
            f"guardrails.yaml approval.level {chain.approval.level!r} is not below block_level "
            f"{chain.block_level!r}: no call would ever be held for a person.",
            None,
        )
    for switch, kinds in (("secrets", chain.sanitizer.secret_kinds), ("pii", chain.sanitizer.pii_kinds)):
        if not getattr(chain.sanitizer, switch) or not kinds:
            report(
                f"guardrails.yaml sanitizer.{switch} is off or lists no kinds: {switch} would reach the model.", None
            )
    if not chain.provenance.enabled:
        report("guardrails.yaml provenance.enabled is false: hijacked arguments would not raise the risk.", None)


SPECS = [
    PolicySpec(
        name="audit-remote-tamper-evident",
        kind="stack",
        description="The audit trail keeps tamper evidence on, checkpoints often, and ships to at least one remote "
        "SIEM sink over TLS.",
        validate=audit_remote,
        remediation="set bakerst:audit.tamperEvidence: true and add a loki/splunk/datadog (https) or syslog "
        "(tls: true) sink to bakerst:audit.sinks.",
        severity=Severity.HIGH,
        config={
            "requireTls": {"type": "boolean", "default": True},
            "maxCheckpointIntervalSeconds": {"type": "number", "default": 300},
        },
    ),
    PolicySpec(
        name="rate-limits-sane",
        kind="stack",
        description="Per-user and global request limits are set, ordered, under their ceilings, and fail closed.",
        validate=rate_limits,
        remediation="set bakerst:rateLimits.perUserPerMinute (<= globalPerMinute) and globalPerMinute within the "
        "ceilings in this policy's config.",
        severity=Severity.HIGH,
        config={
            "maxPerUserPerMinute": {"type": "integer", "default": 600},
            "maxGlobalPerMinute": {"type": "integer", "default": 100000},
        },
    ),
    PolicySpec(
        name="budgets-sane",
        kind="stack",
        description="Daily and monthly budgets are set, ordered and under any approved ceiling; alerts fire at a sane "
        "threshold; exhaustion downgrades or denies; the governor has model prices to reserve by.",
        validate=budgets,
        remediation="set bakerst:budgets.dailyUsd <= monthlyUsd, alertThreshold between the configured bounds, "
        "fallbackStrategy downgrade or deny, and bakerst:modelPrices for every model the app calls.",
        severity=Severity.HIGH,
        config={
            "maxDailyUsd": {"type": ["number", "null"], "default": None},
            "maxMonthlyUsd": {"type": ["number", "null"], "default": None},
            "minAlertThreshold": {"type": "number", "default": 0.5},
            "maxAlertThreshold": {"type": "number", "default": 0.95},
        },
    ),
    PolicySpec(
        name="guardrails-fail-closed",
        kind="stack",
        description="The guardrail chain runs all five checks with injection detection first, a bounded threshold, "
        "approval expiry and check timeout, and sanitization on.",
        validate=guardrails,
        remediation="use a guardrail file (bakerst:guardrails.configFile) with checks [injection, schema, risk, "
        "approval, sanitization], injection.threshold <= 0.5 and sanitizer secrets/pii on.",
        severity=Severity.HIGH,
        config={
            "maxInjectionThreshold": {"type": "number", "default": 0.5},
            "maxApprovalSeconds": {"type": "number", "default": 3600},
            "maxCheckTimeoutMs": {"type": "number", "default": 1000},
        },
    ),
]
