"""Runtime controls carried by the hooks ConfigMap: audit trail (BSH-AUD-01), rate limits (BSH-RTL-01), budgets
(BSH-CST-01) and the guardrail chain (BSH-GRD-01). These are stack policies over the ``audit.yaml``,
``governance.yaml`` and ``guardrails.yaml`` the stack renders for the hooks runtime."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from pulumi_policy import ReportViolation, Severity

from policies.k8s import as_list, get
from policies.rules._objects import hooks_config, objects
from policies.spec import PolicySpec

REMOTE_SINKS = frozenset({"loki", "splunk", "datadog", "syslog"})
ALL_CHECKS = ("injection", "schema", "risk", "approval", "sanitization")


def _document(args: Any, key: str, report: ReportViolation) -> Mapping[str, Any] | None:
    """The parsed ``key`` of the hooks ConfigMap, or None after reporting why it is unusable."""
    maps = hooks_config(objects(args))
    if not maps:
        report(
            "The stack renders no hooks runtime ConfigMap (label app.kubernetes.io/component=hooks-runtime-config).",
            None,
        )
        return None
    config_map = maps[0]
    text = get(config_map.props, "data", key)
    if not isinstance(text, str):
        report(f"ConfigMap {config_map.namespace}/{config_map.name} has no {key}.", config_map.urn)
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        report(f"ConfigMap {config_map.namespace}/{config_map.name} {key} is not valid YAML: {exc}.", config_map.urn)
        return None
    if not isinstance(data, Mapping):
        report(f"ConfigMap {config_map.namespace}/{config_map.name} {key} is not a mapping.", config_map.urn)
        return None
    return data


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def audit_remote(args: Any, report: ReportViolation) -> None:
    audit = _document(args, "audit.yaml", report)
    if audit is None:
        return
    config = args.get_config()
    if audit.get("tamperEvidence") is not True:
        report("audit.yaml turns tamper evidence off (tamperEvidence is not true).", None)
    sinks = [s for s in as_list(audit.get("sinks")) if isinstance(s, Mapping)]
    remote = [s for s in sinks if s.get("type") in REMOTE_SINKS]
    if not remote:
        kinds = ", ".join(str(s.get("type")) for s in sinks) or "none"
        report(f"audit.yaml ships to no remote sink (loki, splunk, datadog, syslog); configured: {kinds}.", None)
    for sink in remote:
        tls = (
            bool(sink.get("tls", True))
            if sink.get("type") == "syslog"
            else str(sink.get("url", "")).startswith("https://")
        )
        if not tls and config.get("requireTls", True):
            where = sink.get("url") or f"{sink.get('host')}:{sink.get('port')}"
            report(f"audit.yaml {sink.get('type')} sink {where} is not TLS-protected.", None)
    checkpoint = _number(audit.get("checkpointIntervalSeconds", 60))
    limit = Decimal(str(config.get("maxCheckpointIntervalSeconds", 300)))
    if checkpoint is None or checkpoint > limit:
        report(
            f"audit.yaml checkpointIntervalSeconds {audit.get('checkpointIntervalSeconds')!r} exceeds {limit} "
            "(the unanchored tail an attacker could truncate).",
            None,
        )


def rate_limits(args: Any, report: ReportViolation) -> None:
    governance = _document(args, "governance.yaml", report)
    if governance is None:
        return
    config = args.get_config()
    limits = governance.get("rateLimits")
    if not isinstance(limits, Mapping):
        report("governance.yaml sets no rateLimits.", None)
        return
    per_user, overall = _number(limits.get("perUserPerMinute")), _number(limits.get("globalPerMinute"))
    max_user = Decimal(str(config.get("maxPerUserPerMinute", 600)))
    max_global = Decimal(str(config.get("maxGlobalPerMinute", 100_000)))
    if per_user is None or not 1 <= per_user <= max_user:
        report(f"rateLimits.perUserPerMinute {limits.get('perUserPerMinute')!r} is not between 1 and {max_user}.", None)
    if overall is None or not 1 <= overall <= max_global:
        report(f"rateLimits.globalPerMinute {limits.get('globalPerMinute')!r} is not between 1 and {max_global}.", None)
    if per_user is not None and overall is not None and per_user > overall:
        report(f"rateLimits.perUserPerMinute ({per_user}) exceeds globalPerMinute ({overall}).", None)
    if limits.get("failureMode", "closed") != "closed":
        report("rateLimits.failureMode is not 'closed': an unreachable backend would admit everything.", None)


def budgets(args: Any, report: ReportViolation) -> None:
    governance = _document(args, "governance.yaml", report)
    if governance is None:
        return
    config = args.get_config()
    budget = governance.get("budgets")
    if not isinstance(budget, Mapping):
        report("governance.yaml sets no budgets.", None)
        return
    daily, monthly = _number(budget.get("dailyUsd")), _number(budget.get("monthlyUsd"))
    for name, value, cap_key in (("dailyUsd", daily, "maxDailyUsd"), ("monthlyUsd", monthly, "maxMonthlyUsd")):
        cap = config.get(cap_key)
        if value is None or value <= 0:
            report(f"budgets.{name} {budget.get(name)!r} is not a positive amount.", None)
        elif cap is not None and value > Decimal(str(cap)):
            report(f"budgets.{name} {value} exceeds the approved ceiling {cap}.", None)
    if daily is not None and monthly is not None and daily > monthly:
        report(f"budgets.dailyUsd ({daily}) exceeds monthlyUsd ({monthly}).", None)
    threshold = _number(budget.get("alertThreshold"))
    low, high = Decimal(str(config.get("minAlertThreshold", 0.5))), Decimal(str(config.get("maxAlertThreshold", 0.95)))
    if threshold is None or not low <= threshold <= high:
        report(f"budgets.alertThreshold {budget.get('alertThreshold')!r} is not between {low} and {high}.", None)
    if budget.get("fallbackStrategy") not in ("downgrade", "deny"):
        report(f"budgets.fallbackStrategy {budget.get('fallbackStrategy')!r} is not 'downgrade' or 'deny'.", None)


def guardrails(args: Any, report: ReportViolation) -> None:
    chain = _document(args, "guardrails.yaml", report)
    if chain is None:
        return
    config = args.get_config()
    checks = [str(c) for c in as_list(chain.get("checks", list(ALL_CHECKS)))]
    missing = [c for c in ALL_CHECKS if c not in checks]
    if missing:
        report(f"guardrails.yaml leaves out the {', '.join(missing)} check(s).", None)
    elif checks[0] != "injection":
        report(f"guardrails.yaml runs {checks[0]} before injection detection.", None)
    rules: list[tuple[str, Any, Callable[[Decimal], bool], str]] = [
        ("injection.threshold", get(chain, "injection", "threshold"), lambda v: 0 < v <= Decimal(str(
            config.get("maxInjectionThreshold", 0.5))), f"in (0, {config.get('maxInjectionThreshold', 0.5)}]"),
        ("approval.timeout_seconds", get(chain, "approval", "timeout_seconds"), lambda v: 0 < v <= Decimal(str(
            config.get("maxApprovalSeconds", 3600))), f"in (0, {config.get('maxApprovalSeconds', 3600)}]"),
        ("limits.check_timeout_ms", get(chain, "limits", "check_timeout_ms"), lambda v: 0 < v <= Decimal(str(
            config.get("maxCheckTimeoutMs", 1000))), f"in (0, {config.get('maxCheckTimeoutMs', 1000)}]"),
    ]  # fmt: skip
    for key, raw, ok, expected in rules:
        value = _number(raw) if raw is not None else None
        if value is None or not ok(value):
            report(f"guardrails.yaml {key} is {raw!r}, expected a number {expected}.", None)
    if get(chain, "block_level") not in ("high", "critical"):
        report(f"guardrails.yaml block_level {get(chain, 'block_level')!r} is not high or critical.", None)
    raw_sanitizer = chain.get("sanitizer")
    sanitizer: Mapping[str, Any] = raw_sanitizer if isinstance(raw_sanitizer, Mapping) else {}
    for switch in ("secrets", "pii"):
        if sanitizer.get(switch, True) is not True:
            report(f"guardrails.yaml sanitizer.{switch} is off: {switch} would reach the model.", None)


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
        "threshold; exhaustion downgrades or denies.",
        validate=budgets,
        remediation="set bakerst:budgets.dailyUsd <= monthlyUsd, alertThreshold between the configured bounds, and "
        "fallbackStrategy downgrade or deny.",
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
