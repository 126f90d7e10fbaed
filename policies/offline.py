"""Run the policy pack without the Pulumi engine: over the resources an offline render recorded.

Mirrors what the engine does with a pack: every resource policy sees every resource (its inputs, camelCase wire
format), every stack policy sees all of them at once; each policy's enforcement level is the per-stack config's,
else the policy's own; config properties are validated against the policy's schema and defaults applied. A policy
that raises is reported as a violation of that policy (fail closed), never skipped.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.policy import _NotApplicableError

from policies.catalog import Catalog, catalog
from policies.pack import SPECS
from policies.spec import PolicySpec, bind

LEVELS = {level.value: level for level in EnforcementLevel}


class PolicyConfigError(ValueError):
    """The per-stack policy config is unusable; the message names the policy and the field."""


@dataclass(frozen=True)
class PolicyInput:
    """One resource as the engine would hand it to a policy."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str
    parent: str = ""
    custom: bool = True


@dataclass(frozen=True)
class Violation:
    message: str
    urn: str | None

    @property
    def resource(self) -> str:
        """``type::name`` of the resource the violation is about ('' for the stack)."""
        return "::".join(self.urn.split("::")[-2:]) if self.urn else ""


@dataclass
class PolicyOutcome:
    name: str
    kind: str
    enforcement: str
    severity: str
    controls: list[str]
    violations: list[Violation] = field(default_factory=list)
    not_applicable: str | None = None

    @property
    def blocking(self) -> bool:
        return self.enforcement == EnforcementLevel.MANDATORY.value and bool(self.violations)


@dataclass
class PolicyReport:
    pack: str
    outcomes: list[PolicyOutcome]

    @property
    def mandatory_violations(self) -> int:
        return sum(len(o.violations) for o in self.outcomes if o.enforcement == "mandatory")

    @property
    def advisory_violations(self) -> int:
        return sum(len(o.violations) for o in self.outcomes if o.enforcement == "advisory")

    @property
    def ok(self) -> bool:
        return self.mandatory_violations == 0

    def outcome(self, name: str) -> PolicyOutcome:
        for outcome in self.outcomes:
            if outcome.name == name:
                return outcome
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "ok": self.ok,
            "policies": len(self.outcomes),
            "mandatoryViolations": self.mandatory_violations,
            "advisoryViolations": self.advisory_violations,
            "results": [
                {
                    "policy": o.name,
                    "kind": o.kind,
                    "enforcement": o.enforcement,
                    "severity": o.severity,
                    "controls": o.controls,
                    "passed": not o.violations,
                    "notApplicable": o.not_applicable,
                    "violations": [{"resource": v.resource, "urn": v.urn, "message": v.message} for v in o.violations],
                }
                for o in self.outcomes
            ],
        }


def urn_of(stack: str, project: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def policy_options() -> PolicyResourceOptions:
    """Resource options as the engine reports them for a plain resource (nothing protected or ignored)."""
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
    )


def load_policy_config(path: Path) -> dict[str, Any]:
    """A ``--policy-pack-config`` JSON file (the same file ``pulumi preview`` takes)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PolicyConfigError(f"{path}: cannot read the policy config: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyConfigError(f"{path}: the policy config must be a JSON object of policy name to settings")
    return data


def resolve_config(
    spec: PolicySpec, raw: Mapping[str, Any] | str | None, source: str
) -> tuple[EnforcementLevel, dict[str, Any]]:
    """The effective enforcement level and properties of one policy (errors name the policy and field)."""
    level = spec.enforcement
    properties: dict[str, Any] = {}
    if isinstance(raw, str):
        raw = {"enforcementLevel": raw}
    if raw is not None and not isinstance(raw, Mapping):
        raise PolicyConfigError(f"{source}: {spec.name}: expected an enforcement level or an object")
    for key, value in (raw or {}).items():
        if key == "enforcementLevel":
            if value not in LEVELS:
                raise PolicyConfigError(
                    f"{source}: {spec.name}.enforcementLevel: {value!r} is not one of {', '.join(LEVELS)}"
                )
            level = LEVELS[value]
        elif key not in spec.config:
            known = ", ".join(["enforcementLevel", *spec.config]) or "enforcementLevel"
            raise PolicyConfigError(f"{source}: {spec.name}.{key}: unknown setting (known: {known})")
        else:
            properties[key] = value
    merged = {**spec.defaults(), **properties}
    schema = {"type": "object", "properties": {k: dict(v) for k, v in spec.config.items()}}
    errors = sorted(Draft7Validator(schema).iter_errors(merged), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.path)
        raise PolicyConfigError(f"{source}: {spec.name}.{where}: {first.message}")
    return level, merged


def _run(policy: Any, args: Any, report: Any) -> None:
    result = policy.validate(args, report)
    if inspect.isawaitable(result):  # pragma: no cover - no policy of this pack is async
        raise TypeError(f"policy {policy.name} returned an awaitable; the offline runner runs synchronous policies")


def run_pack(
    resources: Sequence[PolicyInput],
    config: Mapping[str, Any] | None = None,
    *,
    specs: Sequence[PolicySpec] = SPECS,
    table: Catalog | None = None,
    config_source: str = "policy config",
    pack_name: str = "baker-street-hardened-compliance",
) -> PolicyReport:
    """Every policy over ``resources``; ``config`` is the per-stack pack config (policy name to settings)."""
    table = table or catalog()
    config = dict(config or {})
    unknown = sorted(set(config) - {s.name for s in specs} - {"all"})
    if unknown:
        raise PolicyConfigError(f"{config_source}: unknown policies {', '.join(unknown)}")
    outcomes: list[PolicyOutcome] = []
    for spec in specs:
        raw = config.get(spec.name, config.get("all"))
        level, properties = resolve_config(spec, raw, config_source)
        controls = [c.id for c in table.controls_of_policy(spec.name)]
        outcome = PolicyOutcome(spec.name, spec.kind, level.value, spec.severity.value, controls)
        outcomes.append(outcome)
        if level == EnforcementLevel.DISABLED:
            continue
        policy = bind(spec, table)

        def report(message: str, urn: str | None = None, _outcome: PolicyOutcome = outcome) -> None:
            _outcome.violations.append(Violation(message, urn))

        try:
            if spec.kind == "resource":
                for res in resources:
                    if not res.custom:
                        continue
                    args = ResourceValidationArgs(
                        res.type, res.props, res.urn, res.name, policy_options(), None, properties
                    )
                    try:
                        _run(policy, args, report)
                    except _NotApplicableError:
                        continue
            else:
                stack_resources = [
                    PolicyResource(r.type, r.props, r.urn, r.name, policy_options(), None, None, [], {})
                    for r in resources
                ]
                _run(policy, StackValidationArgs(stack_resources, properties), report)
        except _NotApplicableError as exc:
            outcome.not_applicable = exc.reason or "not applicable"
        except Exception as exc:
            outcome.violations.append(Violation(f"policy {spec.name} failed: {type(exc).__name__}: {exc}", None))
    return PolicyReport(pack_name, outcomes)


def format_report(report: PolicyReport) -> str:
    """The report for a person: one line per policy, then each violation with its resource."""
    lines = [
        f"Policy pack {report.pack}: {len(report.outcomes)} policies, "
        f"{report.mandatory_violations} mandatory and {report.advisory_violations} advisory violations"
    ]
    for o in report.outcomes:
        status = "disabled" if o.enforcement == "disabled" else ("FAIL" if o.violations else "pass")
        if o.enforcement == "advisory" and o.violations:
            status = "warn"
        lines.append(f"  [{status:>8}] {o.name:<36} {o.enforcement:<9} {','.join(o.controls)}")
        for v in o.violations:
            where = f"{v.resource}: " if v.resource else ""
            lines.append(f"             - {where}{v.message}")
    lines.append("RESULT: " + ("no mandatory violations" if report.ok else "mandatory policy violations"))
    return "\n".join(lines)
