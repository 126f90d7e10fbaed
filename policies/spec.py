"""One policy as data (``PolicySpec``), and how it becomes a real ``pulumi_policy`` policy.

A spec holds the check (a plain function with the ``pulumi_policy`` validate signature), its default
enforcement, severity, remediation steps and config schema; its compliance metadata (framework, tags) comes
from the control table, so the two can never disagree. Every violation message ends with the remediation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.catalog import Catalog, Control

Validate = Callable[[Any, ReportViolation], None]
Kind = Literal["resource", "stack"]


@dataclass(frozen=True)
class PolicySpec:
    """A policy before it is bound to ``pulumi_policy``."""

    name: str
    kind: Kind
    description: str
    validate: Validate
    remediation: str
    severity: Severity = Severity.HIGH
    enforcement: EnforcementLevel = EnforcementLevel.MANDATORY
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """JSON-schema properties of the policy's config (each with a ``default``)."""

    def config_schema(self) -> PolicyConfigSchema | None:
        return PolicyConfigSchema(properties={k: dict(v) for k, v in self.config.items()}) if self.config else None

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config.items() if "default" in v}


def with_remediation(report: ReportViolation, remediation: str) -> ReportViolation:
    """A ``report_violation`` that appends the remediation steps to every message."""

    def _report(message: str, urn: str | None = None) -> None:
        report(f"{message} Fix: {remediation}", urn)

    return _report


def framework_of(controls: list[Control], catalog: Catalog) -> PolicyComplianceFramework:
    """The primary framework reference: the first CIS item when there is one, else the first SOC 2 criterion."""
    for control in controls:
        if control.cis:
            item = control.cis[0]
            return PolicyComplianceFramework(
                name=catalog.frameworks.cis.name,
                version=item.benchmark,
                reference=item.id,
                specification=item.title,
            )
    control = controls[0]
    return PolicyComplianceFramework(
        name=catalog.frameworks.soc2.name,
        version=catalog.frameworks.soc2.version,
        reference=control.soc2[0],
        specification=control.title,
    )


def tags_of(controls: list[Control]) -> list[str]:
    seen: dict[str, None] = {}
    for control in controls:
        for tag in control.tags():
            seen.setdefault(tag, None)
    return list(seen)


def bind(spec: PolicySpec, catalog: Catalog) -> ResourceValidationPolicy | StackValidationPolicy:
    """The ``pulumi_policy`` object for ``spec``, with its compliance metadata from ``catalog``."""
    controls = catalog.controls_of_policy(spec.name)
    if not controls:
        raise ValueError(f"policy {spec.name} enforces no control in controls.yaml; add it to a control's policies")

    def validate(args: Any, report: ReportViolation) -> None:
        spec.validate(args, with_remediation(report, spec.remediation))

    common: dict[str, Any] = {
        "name": spec.name,
        "description": f"{spec.description} [{', '.join(c.id for c in controls)}]",
        "enforcement_level": spec.enforcement,
        "config_schema": spec.config_schema(),
        "severity": spec.severity,
        "framework": framework_of(controls, catalog),
        "tags": tags_of(controls),
        "remediation_steps": spec.remediation,
    }
    if spec.kind == "resource":
        return ResourceValidationPolicy(validate=validate, **common)
    return StackValidationPolicy(validate=validate, **common)


ArgsType = ResourceValidationArgs | StackValidationArgs
