"""The policy pack's contents: every ``PolicySpec``, bound to ``pulumi_policy`` with metadata from the control
table. ``__main__.py`` hands :func:`policies` to ``PolicyPack``; the offline render runs the same objects."""

from __future__ import annotations

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from policies.catalog import Catalog, catalog
from policies.rules import hooks_sidecar, network, pod_security, rbac, resources, runtime, secrets, supply_chain
from policies.spec import PolicySpec, bind

PACK_NAME = "baker-street-hardened-compliance"
DESCRIPTION = (
    "Baker Street hardened: SOC 2 / ISO 27001 / CIS Kubernetes controls enforced on every stack "
    "(control table: policies/controls.yaml)."
)

SPECS: tuple[PolicySpec, ...] = (
    *network.SPECS,
    *pod_security.SPECS,
    *supply_chain.SPECS,
    *rbac.SPECS,
    *secrets.SPECS,
    *resources.SPECS,
    *runtime.SPECS,
    *hooks_sidecar.SPECS,
)


def spec_named(name: str) -> PolicySpec:
    for spec in SPECS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def policies(table: Catalog | None = None) -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """Every policy of the pack, in control-table order."""
    table = table or catalog()
    by_name = {spec.name: spec for spec in SPECS}
    return [bind(by_name[name], table) for name in table.policy_names() if name in by_name]
