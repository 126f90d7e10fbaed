# ruff: noqa: E501  (the case tables keep one case per line)
"""Each stack policy: the compliant stack passes; each single change to one object yields the named violation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.policies import fixtures as fx
from tests.policies.harness import check_stack, deleter, setter

Stack = list[dict[str, Any]]
Change = Callable[[Stack], None]


def find(stack: Stack, kind: str, name: str | None = None, namespace: str | None = None) -> dict[str, Any]:
    for obj in stack:
        meta = obj["metadata"]
        if obj["kind"] == kind and name in (None, meta["name"]) and namespace in (None, meta.get("namespace")):
            return obj
    raise LookupError(f"{kind} {namespace}/{name}")


def on(kind: str, change: Callable[[Any], None], name: str | None = None, namespace: str | None = None) -> Change:
    return lambda stack: change(find(stack, kind, name, namespace))


def drop(kind: str, name: str | None = None, namespace: str | None = None) -> Change:
    return lambda stack: stack.remove(find(stack, kind, name, namespace))


def add(obj: dict[str, Any]) -> Change:
    return lambda stack: stack.append(obj)


def hooks(key: str, change: Callable[[Any], None]) -> Change:
    """Change one document of the hooks ConfigMap (parsed, changed, dumped back)."""

    def apply(stack: Stack) -> None:
        config_map = find(stack, "ConfigMap", "bakerst-hooks")
        data = yaml.safe_load(config_map["data"][key])
        change(data)
        config_map["data"][key] = yaml.safe_dump(data)

    return apply


EGRESS = "spec.egress"
VERIFY = "spec.rules.0.verifyImages.0"

CASES: list[tuple[str, str, Change, str]] = [
    # namespace-default-deny
    ("namespace-default-deny", "app ns without deny", drop("NetworkPolicy", "default-deny", fx.APP_NS),
     "Namespace bakerst has no default-deny ingress"),
    ("namespace-default-deny", "task deny without egress",
     on("NetworkPolicy", setter("spec.policyTypes", ["Ingress"]), "default-deny", fx.TASK_NS),
     "no default-deny egress"),
    ("namespace-default-deny", "deny selects some pods",
     on("NetworkPolicy", setter("spec.podSelector", {"matchLabels": {"app": "x"}}), "default-deny", fx.APP_NS),
     "Namespace bakerst has no default-deny ingress"),
    ("namespace-default-deny", "deny with an allow rule",
     on("NetworkPolicy", setter("spec.ingress", [{}]), "default-deny", fx.APP_NS), "no default-deny ingress"),
    # task-egress-nats-dns-only
    ("task-egress-nats-dns-only", "allow all destinations",
     on("NetworkPolicy", deleter(f"{EGRESS}.0.to"), "allow-egress-nats-dns"), "allows every destination"),
    ("task-egress-nats-dns-only", "ip block",
     on("NetworkPolicy", setter(f"{EGRESS}.0.to.0", {"ipBlock": {"cidr": "0.0.0.0/0"}}), "allow-egress-nats-dns"),
     "allows the IP block 0.0.0.0/0"),
    ("task-egress-nats-dns-only", "any pod in the namespace",
     on("NetworkPolicy", deleter(f"{EGRESS}.0.to.0.podSelector"), "allow-egress-nats-dns"),
     "does not select specific pods"),
    ("task-egress-nats-dns-only", "https port", on("NetworkPolicy", setter(f"{EGRESS}.0.ports.0.port", 443),
     "allow-egress-nats-dns"), "allows port 443"),
    ("task-egress-nats-dns-only", "every port", on("NetworkPolicy", deleter(f"{EGRESS}.0.ports"), "allow-egress-nats-dns"),
     "allows every port"),
    ("task-egress-nats-dns-only", "ingress into tasks",
     on("NetworkPolicy", setter("spec.ingress", [{"from": [{"podSelector": {}}]}]), "default-deny", fx.TASK_NS),
     "allows ingress into the task namespace"),
    ("task-egress-nats-dns-only", "no task namespace",
     on("Namespace", lambda ns: ns["metadata"]["labels"].pop("app.kubernetes.io/component"), fx.TASK_NS), "no task namespace"),
    # task-namespace-admin-deny
    ("task-namespace-admin-deny", "no ANP", drop("AdminNetworkPolicy"), "No AdminNetworkPolicy denies traffic"),
    ("task-namespace-admin-deny", "ANP only passes",
     on("AdminNetworkPolicy", setter("spec.egress.0.action", "Pass")), "No AdminNetworkPolicy denies traffic"),
    # kyverno-pod-security-enforced
    ("kyverno-pod-security-enforced", "no rule", drop("ClusterPolicy", "pod-security-restricted"),
     "No Kyverno ClusterPolicy validates podSecurity"),
    ("kyverno-pod-security-enforced", "audit only",
     on("ClusterPolicy", setter("spec.rules.0.validate.failureAction", "Audit"), "pod-security-restricted"),
     "only audits"),
    ("kyverno-pod-security-enforced", "baseline only",
     on("ClusterPolicy", setter("spec.rules.0.validate.podSecurity.level", "baseline"), "pod-security-restricted"),
     "No Kyverno ClusterPolicy validates podSecurity"),
    ("kyverno-pod-security-enforced", "task namespace not matched",
     on("ClusterPolicy", setter("spec.rules.0.match.any.0.resources.namespaces", [fx.APP_NS]), "pod-security-restricted"),
     "Namespace bakerst-tasks is not matched"),
    # image-registry-allowed
    ("image-registry-allowed", "foreign registry",
     on("Deployment", setter("spec.template.spec.containers.0.image", f"docker.io/library/nginx@sha256:{'b' * 64}")),
     "comes from 'docker.io'"),
    ("image-registry-allowed", "no registry rule", drop("ClusterPolicy", "restrict-registries"),
     "No Kyverno ClusterPolicy restricts image registries"),
    ("image-registry-allowed", "registry rule audits",
     on("ClusterPolicy", setter("spec.rules.0.validate.failureAction", "Audit"), "restrict-registries"),
     "No Kyverno ClusterPolicy restricts image registries"),
    # image-signature-verified
    ("image-signature-verified", "no verifyImages", drop("ClusterPolicy", "require-image-signature"),
     "not covered by any Kyverno verifyImages rule"),
    ("image-signature-verified", "audit", on("ClusterPolicy", setter(f"{VERIFY}.failureAction", "Audit"),
     "require-image-signature"), "does not enforce"),
    ("image-signature-verified", "no attestors", on("ClusterPolicy", setter(f"{VERIFY}.attestors", []),
     "require-image-signature"), "has no attestor entries"),
    ("image-signature-verified", "optional", on("ClusterPolicy", setter(f"{VERIFY}.required", False),
     "require-image-signature"), "required: false"),
    ("image-signature-verified", "digest unverified", on("ClusterPolicy", setter(f"{VERIFY}.verifyDigest", False),
     "require-image-signature"), "verifyDigest: false"),
    ("image-signature-verified", "other registry", on("ClusterPolicy", setter(f"{VERIFY}.imageReferences",
     ["other.example/*"]), "require-image-signature"), "not covered"),
    ("image-signature-verified", "namespace not matched",
     on("ClusterPolicy", setter("spec.rules.0.match.any.0.resources.namespaces", [fx.TASK_NS]), "require-image-signature"),
     "not covered"),
    # image-sbom-attested
    ("image-sbom-attested", "no attestation", on("ClusterPolicy", deleter(f"{VERIFY}.attestations"),
     "require-image-signature"), "without a verified SBOM attestation"),
    ("image-sbom-attested", "provenance, not SBOM",
     on("ClusterPolicy", setter(f"{VERIFY}.attestations.0.type", "https://slsa.dev/provenance/v1"),
        "require-image-signature"), "without a verified SBOM attestation"),
    ("image-sbom-attested", "unsigned SBOM", on("ClusterPolicy", setter(f"{VERIFY}.attestations.0.attestors", []),
     "require-image-signature"), "without a verified SBOM attestation"),
    # task-service-account-unprivileged
    ("task-service-account-unprivileged", "token mounted",
     on("ServiceAccount", deleter("automountServiceAccountToken"), "bakerst-task"), "automountServiceAccountToken"),
    ("task-service-account-unprivileged", "bound",
     add(fx.role_binding("bakerst-task", fx.TASK_NS, "brain-task-manager")), "to ServiceAccount bakerst-task"),
    ("task-service-account-unprivileged", "group bound",
     on("RoleBinding", setter("subjects.0", {"kind": "Group", "name": f"system:serviceaccounts:{fx.TASK_NS}"})),
     "of the task namespace"),
    # secrets-from-external-secrets
    ("secrets-from-external-secrets", "no ExternalSecret", drop("ExternalSecret"),
     "reads Secret 'bakerst-brain-secrets', which no ExternalSecret"),
    ("secrets-from-external-secrets", "ExternalSecret elsewhere",
     on("ExternalSecret", setter("metadata.namespace", "other")), "which no ExternalSecret"),
    ("secrets-from-external-secrets", "secret volume",
     on("Deployment", setter("spec.template.spec.volumes.1", {"name": "k", "secret": {"secretName": "tls-key"}})),
     "reads Secret 'tls-key'"),
    # task-namespace-quota
    ("task-namespace-quota", "no quota", drop("ResourceQuota"), "has no ResourceQuota"),
    ("task-namespace-quota", "no memory ceiling", on("ResourceQuota", setter("spec.hard", {"requests.cpu": "4",
     "pods": "10"})), "sets no memory ceiling"),
    ("task-namespace-quota", "no pods ceiling", on("ResourceQuota", deleter("spec.hard.pods")), "sets no pods ceiling"),
    ("task-namespace-quota", "no limit range", drop("LimitRange"), "has no LimitRange for containers"),
    ("task-namespace-quota", "no max", on("LimitRange", deleter("spec.limits.0.max")), "sets no max"),
    # audit-remote-tamper-evident
    ("audit-remote-tamper-evident", "tamper evidence off", hooks("audit.yaml", setter("tamperEvidence", False)),
     "turns tamper evidence off"),
    ("audit-remote-tamper-evident", "file only", hooks("audit.yaml", setter("sinks", [{"type": "file", "path": "/a"}])),
     "ships to no remote sink"),
    ("audit-remote-tamper-evident", "plain http", hooks("audit.yaml", setter("sinks.0.url", "http://loki.example/push")),
     "is not TLS-protected"),
    ("audit-remote-tamper-evident", "syslog without tls", hooks("audit.yaml", setter("sinks.1.tls", False)),
     "is not TLS-protected"),
    ("audit-remote-tamper-evident", "rare checkpoints", hooks("audit.yaml", setter("checkpointIntervalSeconds", 3600)),
     "exceeds 300"),
    ("audit-remote-tamper-evident", "no ConfigMap", drop("ConfigMap", "bakerst-hooks"), "no hooks runtime ConfigMap"),
    # rate-limits-sane
    ("rate-limits-sane", "per user above ceiling", hooks("governance.yaml", setter("rateLimits.perUserPerMinute", 6000)),
     "perUserPerMinute 6000 is not between 1 and 600"),
    ("rate-limits-sane", "zero global", hooks("governance.yaml", setter("rateLimits.globalPerMinute", 0)),
     "globalPerMinute 0 is not between"),
    ("rate-limits-sane", "per user above global", hooks("governance.yaml", setter("rateLimits.globalPerMinute", 20)),
     "exceeds globalPerMinute"),
    ("rate-limits-sane", "fail open", hooks("governance.yaml", setter("rateLimits.failureMode", "open")),
     "failureMode is not 'closed'"),
    ("rate-limits-sane", "no limits", hooks("governance.yaml", deleter("rateLimits")), "sets no rateLimits"),
    # budgets-sane
    ("budgets-sane", "zero daily", hooks("governance.yaml", setter("budgets.dailyUsd", "0")),
     "dailyUsd '0' is not a positive amount"),
    ("budgets-sane", "day above month", hooks("governance.yaml", setter("budgets.dailyUsd", "5000")),
     "exceeds monthlyUsd"),
    ("budgets-sane", "alert too late", hooks("governance.yaml", setter("budgets.alertThreshold", "0.99")),
     "alertThreshold '0.99' is not between"),
    ("budgets-sane", "unknown fallback", hooks("governance.yaml", setter("budgets.fallbackStrategy", "ignore")),
     "fallbackStrategy 'ignore'"),
    ("budgets-sane", "no budgets", hooks("governance.yaml", deleter("budgets")), "sets no budgets"),
    # guardrails-fail-closed
    ("guardrails-fail-closed", "no sanitization", hooks("guardrails.yaml", setter("checks",
     ["injection", "schema", "risk", "approval"])), "leaves out the sanitization"),
    ("guardrails-fail-closed", "injection late", hooks("guardrails.yaml", setter("checks",
     ["schema", "injection", "risk", "approval", "sanitization"])), "runs schema before injection"),
    ("guardrails-fail-closed", "lax threshold", hooks("guardrails.yaml", setter("injection.threshold", 0.9)),
     "injection.threshold is 0.9"),
    ("guardrails-fail-closed", "approval never expires", hooks("guardrails.yaml", setter("approval.timeout_seconds",
     86400)), "approval.timeout_seconds is 86400"),
    ("guardrails-fail-closed", "slow checks", hooks("guardrails.yaml", setter("limits.check_timeout_ms", 30000)),
     "limits.check_timeout_ms is 30000"),
    ("guardrails-fail-closed", "block only critical+", hooks("guardrails.yaml", setter("block_level", "medium")),
     "block_level 'medium'"),
    ("guardrails-fail-closed", "pii passes", hooks("guardrails.yaml", setter("sanitizer.pii", False)),
     "sanitizer.pii is off"),
]  # fmt: skip


@pytest.mark.parametrize(("policy", "change_id", "change", "expected"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_one_change_one_violation(policy: str, change_id: str, change: Change, expected: str) -> None:
    stack = fx.compliant_stack()
    assert check_stack(policy, stack) == [], f"{policy}: the compliant stack must pass"
    change(stack)
    messages = check_stack(policy, stack)
    assert messages, f"{policy}: {change_id} went unnoticed"
    assert any(expected in m for m in messages), messages
    assert all(" Fix: " in m for m in messages)


STACK_POLICIES = sorted({c[0] for c in CASES})


def test_every_stack_policy_has_cases() -> None:
    from policies.pack import SPECS

    assert sorted(s.name for s in SPECS if s.kind == "stack") == STACK_POLICIES


def test_config_tightens_and_relaxes() -> None:
    stack = fx.compliant_stack()
    assert check_stack("budgets-sane", stack, {"maxDailyUsd": 10})  # $50/day is above an approved $10
    assert check_stack("image-registry-allowed", stack, {"allowedRegistries": ["other.example"]})
    assert check_stack("task-egress-nats-dns-only", stack, {"allowedEgressPorts": [53]})  # NATS 4222 not allowed
    hooks("audit.yaml", setter("sinks.0.url", "http://loki.example/push"))(stack)
    assert check_stack("audit-remote-tamper-evident", stack)
    assert check_stack("audit-remote-tamper-evident", stack, {"requireTls": False}) == []


def test_runtime_managed_secret_is_allowed_only_when_listed() -> None:
    stack = fx.compliant_stack()
    find(stack, "Deployment")["spec"]["template"]["spec"]["containers"][0]["envFrom"].append(
        {"secretRef": {"name": "bakerst-secrets"}}
    )
    assert check_stack("secrets-from-external-secrets", stack) == []  # default: bakerst-secrets is run-time managed
    assert check_stack("secrets-from-external-secrets", stack, {"runtimeManagedSecrets": []})


def test_unparseable_hooks_documents_are_violations() -> None:
    stack = fx.compliant_stack()
    find(stack, "ConfigMap", "bakerst-hooks")["data"]["governance.yaml"] = "rateLimits: [unclosed"
    messages = check_stack("rate-limits-sane", stack)
    assert len(messages) == 1 and "is not valid YAML" in messages[0]
