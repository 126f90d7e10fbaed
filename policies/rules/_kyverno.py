"""Reading Kyverno ClusterPolicies (wire format) for stack policies, the way Kyverno applies them.

Coverage is proven, never assumed: a rule covers pods of a namespace only when a ``match`` block selects Pods by
kind and namespace alone (``any`` is a union, ``all`` an intersection), no ``exclude`` block could remove them,
no precondition narrows the rule, and the policy takes part in admission. Anything the pack cannot evaluate
statically (subjects, selectors, preconditions) counts as "not covered", so the policy fails closed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.k8s import as_list, get
from policies.rules._objects import K8sObject, of_kind

POD_KINDS = frozenset({"Pod", "v1/Pod", "*/Pod", "*"})
#: ``resources`` filters that narrow a block in ways a static check cannot follow.
_NARROWING = ("selector", "namespaceSelector", "names", "name", "annotations")
_SUBJECT_FILTERS = ("subjects", "roles", "clusterRoles")


def wildcard(pattern: str, value: str) -> bool:
    """Kyverno's wildcard match: ``*`` any run, ``?`` one character, nothing else special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def rules(policy: K8sObject) -> Iterator[Mapping[str, Any]]:
    for rule in as_list(get(policy.props, "spec", "rules")):
        if isinstance(rule, Mapping):
            yield rule


def cluster_policy_rules(objs: list[K8sObject]) -> Iterator[tuple[K8sObject, Mapping[str, Any]]]:
    for policy in of_kind(objs, "ClusterPolicy"):
        for rule in rules(policy):
            yield policy, rule


def _blocks(selection: Any) -> tuple[list[Any], list[Any]]:
    """``(any blocks, all blocks)`` of a match/exclude; the legacy form (``resources`` at the top) is one block."""
    if not isinstance(selection, Mapping):
        return [], []
    any_blocks, all_blocks = as_list(selection.get("any")), as_list(selection.get("all"))
    if "resources" in selection or any(k in selection for k in _SUBJECT_FILTERS):
        any_blocks.append(selection)
    return any_blocks, all_blocks


def _block_selects_pods_in(block: Any, namespace: str) -> bool:
    """True when the block provably selects every Pod created in ``namespace``."""
    if not isinstance(block, Mapping) or any(block.get(k) for k in _SUBJECT_FILTERS):
        return False
    resources = block.get("resources")
    if not isinstance(resources, Mapping) or any(resources.get(k) for k in _NARROWING):
        return False
    if not {str(k) for k in as_list(resources.get("kinds"))} & POD_KINDS:
        return False
    operations = {str(o) for o in as_list(resources.get("operations"))}
    if operations and "CREATE" not in operations:
        return False
    if "namespaces" in resources and not isinstance(resources["namespaces"], list):
        return False  # malformed (objects() hands policies plain lists): cannot prove coverage
    namespaces = [str(n) for n in as_list(resources.get("namespaces"))]
    return not namespaces or any(wildcard(n, namespace) for n in namespaces)


def _block_may_select(block: Any, namespace: str) -> bool:
    """True unless the block provably leaves ``namespace`` alone (for ``exclude``: fail closed)."""
    if not isinstance(block, Mapping):
        return False
    raw = block.get("resources")
    resources: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    namespaces = [str(n) for n in as_list(resources.get("namespaces"))]
    return not namespaces or any(wildcard(n, namespace) for n in namespaces)


@dataclass(frozen=True)
class Exemption:
    """One entry of a Kyverno PolicyException: which policy's rules it lifts, and where (None: everywhere)."""

    policy: str
    rules: frozenset[str]
    namespaces: tuple[str, ...] | None
    source: str


def policy_exceptions(objs: list[K8sObject]) -> list[Exemption]:
    """Every PolicyException of the stack (kyverno.io/v2 and v2beta1), flattened."""
    out = []
    for exception in of_kind(objs, "PolicyException"):
        any_blocks, all_blocks = _blocks(get(exception.props, "spec", "match"))
        names: list[str] = []
        for block in any_blocks + all_blocks:
            listed = [str(n) for n in as_list(get(block, "resources", "namespaces"))]
            if not listed:
                names = []
                break
            names += listed
        where = tuple(names) if names else None
        for entry in as_list(get(exception.props, "spec", "exceptions")):
            if isinstance(entry, Mapping):
                rules = frozenset(str(r) for r in as_list(entry.get("ruleNames")))
                out.append(Exemption(str(entry.get("policyName", "")), rules, where, exception.name))
    return out


def covers(
    rule: Mapping[str, Any],
    namespace: str,
    policy: K8sObject | None = None,
    exemptions: Sequence[Exemption] = (),
) -> bool:
    """Whether the rule provably applies to every Pod created in ``namespace`` (and, given its ``policy`` and the
    stack's PolicyExceptions, is neither the non-first rule of an ``applyRules: One`` policy nor exempted there)."""
    if policy is not None:
        spec = policy.props.get("spec")
        first = next(iter(rules(policy)), None)
        if isinstance(spec, Mapping) and spec.get("applyRules") == "One" and first is not rule:
            return False
        for exemption in exemptions:
            named = exemption.policy.split("/")[-1] == policy.name
            rule_hit = (
                not exemption.rules
                or str(rule.get("name")) in exemption.rules
                or any(wildcard(r, str(rule.get("name"))) for r in exemption.rules)
            )
            where = exemption.namespaces is None or any(wildcard(n, namespace) for n in exemption.namespaces)
            if named and rule_hit and where:
                return False
    any_blocks, all_blocks = _blocks(rule.get("match"))
    if not any_blocks and not all_blocks:
        return False
    if any_blocks and not any(_block_selects_pods_in(b, namespace) for b in any_blocks):
        return False
    if all_blocks and not all(_block_selects_pods_in(b, namespace) for b in all_blocks):
        return False
    ex_any, ex_all = _blocks(rule.get("exclude"))
    if any(_block_may_select(b, namespace) for b in ex_any):
        return False
    if ex_all and all(_block_may_select(b, namespace) for b in ex_all):
        return False
    return not (rule.get("preconditions") or rule.get("celPreconditions"))


def _normal(action: Any) -> str:
    return {"enforce": "Enforce", "audit": "Audit"}.get(str(action).lower(), str(action))


def failure_action(policy: K8sObject, rule_part: Mapping[str, Any] | None, namespace: str | None = None) -> str:
    """The effective failure action for ``namespace``: ``Enforce``, ``Audit``, or why the policy cannot block
    (``admission disabled``, ``failurePolicy Ignore``). Overrides for the namespace win; the rule part's own action
    comes before the (deprecated) policy-wide one; the default is Audit."""
    raw = policy.props.get("spec")
    spec: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if spec.get("admission") is False:
        return "admission disabled"
    webhook = spec.get("webhookConfiguration")
    webhook = webhook if isinstance(webhook, Mapping) else {}
    if str(webhook.get("failurePolicy", spec.get("failurePolicy", "Fail"))) == "Ignore":
        return "failurePolicy Ignore"
    if as_list(webhook.get("matchConditions")):
        return "webhook matchConditions narrow it"
    own = rule_part.get("failureAction") if isinstance(rule_part, Mapping) else None
    action = _normal(own or spec.get("validationFailureAction") or "Audit")
    overrides = as_list(rule_part.get("failureActionOverrides") if isinstance(rule_part, Mapping) else None)
    overrides += as_list(spec.get("validationFailureActionOverrides"))
    for override in overrides:
        if not isinstance(override, Mapping):
            continue
        names = [str(n) for n in as_list(override.get("namespaces"))]
        override_action = _normal(override.get("action"))
        if override.get("namespaceSelector") is not None or namespace is None:
            if override_action != "Enforce":  # may apply here: fail closed
                return override_action
            continue  # an Enforce we cannot prove applies here
        if not names or any(wildcard(n, namespace) for n in names):
            return override_action
    return action
