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
Change = Callable[[Stack], object]


def find(stack: Stack, kind: str, name: str | None = None, namespace: str | None = None) -> dict[str, Any]:
    for obj in stack:
        meta = obj["metadata"]
        if obj["kind"] == kind and name in (None, meta["name"]) and namespace in (None, meta.get("namespace")):
            return obj
    raise LookupError(f"{kind} {namespace}/{name}")


def on(kind: str, change: Callable[[Any], object], name: str | None = None, namespace: str | None = None) -> Change:
    return lambda stack: change(find(stack, kind, name, namespace))


def drop(kind: str, name: str | None = None, namespace: str | None = None) -> Change:
    return lambda stack: stack.remove(find(stack, kind, name, namespace))


def add(obj: dict[str, Any]) -> Change:
    return lambda stack: stack.append(obj)


def hooks(key: str, change: Callable[[Any], object]) -> Change:
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
    # brain-runs-hooks-sidecar
    ("brain-runs-hooks-sidecar", "no sidecar", on("Deployment", setter("spec.template.spec.initContainers", []), "brain"),
     "runs no hooks service"),
    ("brain-runs-hooks-sidecar", "sidecar as a plain init container",
     on("Deployment", deleter("spec.template.spec.initContainers.0.restartPolicy"), "brain"), "runs no hooks service"),
    ("brain-runs-hooks-sidecar", "another ConfigMap", on("Deployment", setter("spec.template.spec.volumes.2.configMap.name", "other"), "brain"),
     "does not mount the hooks runtime ConfigMap"),
    ("brain-runs-hooks-sidecar", "adapter not loaded", on("Deployment", setter("spec.template.spec.containers.0.env.2.value", "--max-old-space-size=512"), "brain"),
     "does not load the hooks adapter"),
    ("brain-runs-hooks-sidecar", "no service URL", on("Deployment", setter("spec.template.spec.containers.0.env.3.name", "OTHER"), "brain"),
     "is not told where the hooks service is"),
    # hooks-tokens-from-external-secrets
    ("hooks-tokens-from-external-secrets", "approver token literal",
     on("Deployment", setter("spec.template.spec.initContainers.0.env.1", {"name": "HOOKS_APPROVER_ALICE", "value": "hunter2hunter2"}), "brain"),
     "hooks sidecar HOOKS_APPROVER_ALICE is not read from a Secret"),
    ("hooks-tokens-from-external-secrets", "approver token missing",
     on("Deployment", deleter("spec.template.spec.initContainers.0.env.1"), "brain"), "hooks sidecar HOOKS_APPROVER_ALICE is not set"),
    ("hooks-tokens-from-external-secrets", "secret not synced", drop("ExternalSecret", "bakerst-hooks-secrets"),
     "comes from Secret 'bakerst-hooks-secrets', which no ExternalSecret syncs"),
    ("hooks-tokens-from-external-secrets", "brain token literal",
     on("Deployment", setter("spec.template.spec.containers.0.env.4", {"name": "BAKERST_HOOKS_TOKEN", "value": "x"}), "brain"),
     "container brain BAKERST_HOOKS_TOKEN is not read from a Secret"),
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
     "an identity task pods of bakerst-tasks can hold"),
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
     "rateLimits.globalPerMinute: Input should be greater than or equal to 1"),
    ("rate-limits-sane", "per user above global", hooks("governance.yaml", setter("rateLimits.globalPerMinute", 20)),
     "exceeds globalPerMinute"),
    ("rate-limits-sane", "fail open", hooks("governance.yaml", setter("rateLimits.failureMode", "open")),
     "failureMode is not 'closed'"),
    ("rate-limits-sane", "no limits", hooks("governance.yaml", deleter("rateLimits")), "sets no rateLimits"),
    # budgets-sane
    ("budgets-sane", "no model prices", hooks("governance.yaml", setter("models", {})),
     "no model prices (models)"),
    ("budgets-sane", "zero daily", hooks("governance.yaml", setter("budgets.dailyUsd", "0")),
     "budgets.dailyUsd: Input should be greater than 0"),
    ("budgets-sane", "day above month", hooks("governance.yaml", setter("budgets.dailyUsd", "5000")),
     "exceeds monthlyUsd"),
    ("budgets-sane", "alert too late", hooks("governance.yaml", setter("budgets.alertThreshold", "0.99")),
     "alertThreshold '0.99' is not between"),
    ("budgets-sane", "unknown fallback", hooks("governance.yaml", setter("budgets.fallbackStrategy", "ignore")),
     "budgets.fallbackStrategy: Input should be 'downgrade' or 'deny'"),
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
    assert check_stack("task-egress-nats-dns-only", stack, {"natsPodLabels": {"app": "nats-v2"}})
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


# ---------------------------------------------------------------------------------------------------------------
# Shapes that once slipped through (review findings): each must now be reported, and the legitimate variants not.

PSS = "spec.rules.0"
SIG = "spec.rules.0"
DIGEST = "@sha256:" + "a" * 64


def _env(name: str, value: str) -> Change:
    def change(stack: Stack) -> None:
        container = find(stack, "Deployment")["spec"]["template"]["spec"]["containers"][0]
        container["env"].append({"name": name, "value": value})

    return change


def _split_sbom(policy: dict[str, Any]) -> None:
    """The signature check in an enforcing entry without the SBOM; the SBOM attestation in an Audit-only entry."""
    entries = policy["spec"]["rules"][0]["verifyImages"]
    with_sbom = entries.pop(0)
    entries.append({k: v for k, v in with_sbom.items() if k != "attestations"})
    entries.append({**with_sbom, "failureAction": "Audit"})


REVIEW_CASES: list[tuple[str, str, Change, str]] = [
    ("kyverno-pod-security-enforced", "exclude task ns", on("ClusterPolicy", setter(f"{PSS}.exclude",
     {"any": [{"resources": {"namespaces": [fx.TASK_NS]}}]}), "pod-security-restricted"), "bakerst-tasks is not matched"),
    ("kyverno-pod-security-enforced", "match.all disjoint", on("ClusterPolicy", setter(f"{PSS}.match", {"all": [
     {"resources": {"kinds": ["Pod"], "namespaces": [fx.APP_NS]}}, {"resources": {"kinds": ["Pod"], "namespaces": [fx.TASK_NS]}}]}),
     "pod-security-restricted"), "is not matched"),
    ("kyverno-pod-security-enforced", "namespaceSelector", on("ClusterPolicy", setter(f"{PSS}.match", {"any": [{"resources": {
     "kinds": ["Pod"], "namespaceSelector": {"matchLabels": {"nonexistent": "x"}}}}]}), "pod-security-restricted"), "is not matched"),
    ("kyverno-pod-security-enforced", "wrong kinds", on("ClusterPolicy", setter(f"{PSS}.match.any.0.resources.kinds",
     ["ConfigMap"]), "pod-security-restricted"), "is not matched"),
    ("kyverno-pod-security-enforced", "subjects", on("ClusterPolicy", setter(f"{PSS}.match.any.0.subjects",
     [{"kind": "User", "name": "nobody"}]), "pod-security-restricted"), "is not matched"),
    ("kyverno-pod-security-enforced", "profile exemptions", on("ClusterPolicy", setter(f"{PSS}.validate.podSecurity.exclude",
     [{"controlName": "Capabilities", "images": ["*"]}]), "pod-security-restricted"), "exempts controls (Capabilities)"),
    ("kyverno-pod-security-enforced", "old version", on("ClusterPolicy", setter(f"{PSS}.validate.podSecurity.version",
     "v1.0"), "pod-security-restricted"), "older than v1.30"),
    ("kyverno-pod-security-enforced", "admission off", on("ClusterPolicy", setter("spec.admission", False),
     "pod-security-restricted"), "admission disabled"),
    ("kyverno-pod-security-enforced", "fails open", on("ClusterPolicy", setter("spec.failurePolicy", "Ignore"),
     "pod-security-restricted"), "failurePolicy Ignore"),
    ("kyverno-pod-security-enforced", "audit override", on("ClusterPolicy", setter(f"{PSS}.validate.failureActionOverrides",
     [{"action": "Audit", "namespaces": [fx.TASK_NS]}]), "pod-security-restricted"), "bakerst-tasks only audits"),
    ("image-signature-verified", "skipImageReferences", on("ClusterPolicy", setter(f"{SIG}.verifyImages.0.skipImageReferences",
     [f"{fx.REGISTRY}/*"]), "require-image-signature"), "not covered"),
    ("image-signature-verified", "exclude", on("ClusterPolicy", setter(f"{SIG}.exclude", {"any": [{"resources": {
     "namespaces": [fx.APP_NS]}}]}), "require-image-signature"), "not covered"),
    ("image-signature-verified", "tag glob vs tag+digest", lambda st: (
     on("ClusterPolicy", setter(f"{SIG}.verifyImages.0.imageReferences", [f"{fx.REGISTRY}/bakerst/brain:*"]), "require-image-signature")(st),
     on("Deployment", setter("spec.template.spec.containers.0.image", f"{fx.REGISTRY}/bakerst/brain:v1{DIGEST}"))(st)), "not covered"),
    ("image-sbom-attested", "SBOM only in an audit entry", on("ClusterPolicy", _split_sbom,
     "require-image-signature"), "without a verified SBOM"),
    ("image-registry-allowed", "app namespace only", on("ClusterPolicy", setter(f"{PSS}.match.any.0.resources.namespaces",
     [fx.APP_NS]), "restrict-registries"), "for namespace bakerst-tasks"),
    ("image-registry-allowed", "init containers open", on("ClusterPolicy", deleter(f"{PSS}.validate.pattern.spec.=(initContainers)"),
     "restrict-registries"), "leaves initContainers unrestricted"),
    ("task-egress-nats-dns-only", "4222 to the brain", on("NetworkPolicy", setter("spec.egress.0.to.0.podSelector.matchLabels",
     {"app": "brain"}), "allow-egress-nats-dns"), "neither the NATS pods nor cluster DNS"),
    ("task-egress-nats-dns-only", "53 to any labelled pod", on("NetworkPolicy", setter(
     "spec.egress.1.to.0.namespaceSelector.matchLabels", {"kubernetes.io/metadata.name": fx.APP_NS}), "allow-egress-nats-dns"),
     "neither the NATS pods nor cluster DNS"),
    ("task-egress-nats-dns-only", "ANP allow", on("AdminNetworkPolicy", lambda a: a["spec"]["egress"].insert(0, {"name": "open",
     "action": "Allow", "to": [{"networks": ["0.0.0.0/0"]}]})), "rule 'open' allows traffic for the task namespace"),
    ("task-namespace-admin-deny", "allow before deny", on("AdminNetworkPolicy", lambda a: a["spec"]["egress"].insert(0, {
     "name": "open", "action": "Allow", "to": [{"networks": ["0.0.0.0/0"]}]})), "No AdminNetworkPolicy denies traffic"),
    ("namespace-default-deny", "empty egress is no egress deny", on("NetworkPolicy", lambda np: np["spec"].update(
     {"policyTypes": [], "egress": []}), "default-deny", fx.TASK_NS), "no default-deny egress"),
    ("task-service-account-unprivileged", "default SA bound", add(fx.role_binding("default", fx.TASK_NS)),
     "ServiceAccount default"),
    ("task-service-account-unprivileged", "user form", on("RoleBinding", setter("subjects.0", {"kind": "User",
     "name": f"system:serviceaccount:{fx.TASK_NS}:bakerst-task"})), "an identity task pods"),
    ("task-service-account-unprivileged", "all authenticated", on("RoleBinding", setter("subjects.0", {"kind": "Group",
     "name": "system:authenticated"})), "an identity task pods"),
    ("task-namespace-quota", "scoped quota", on("ResourceQuota", setter("spec.scopeSelector", {"matchExpressions": [
     {"scopeName": "PriorityClass", "operator": "In", "values": ["never-used"]}]})), "is scoped"),
    ("task-namespace-quota", "no memory max", on("LimitRange", deleter("spec.limits.0.max.memory")), "sets no max.memory"),
    ("task-namespace-quota", "no Jobs ceiling", on("ResourceQuota", lambda q: q["spec"]["hard"].pop("count/jobs.batch")), "sets no Jobs ceiling"),
    ("audit-remote-tamper-evident", "snake_case checkpoint", hooks("audit.yaml", lambda d: (d.pop("checkpointIntervalSeconds"),
     d.update({"checkpoint_interval_seconds": 3600}))), "exceeds 300"),
    ("audit-remote-tamper-evident", "tls as a string", hooks("audit.yaml", setter("sinks.1.tls", "false")), "is not TLS-protected"),
    ("audit-remote-tamper-evident", "two ConfigMaps", add(fx.hooks_config()), "more than one hooks runtime ConfigMap"),
    ("rate-limits-sane", "snake_case fail open", hooks("governance.yaml", lambda d: d["rateLimits"].update(
     {"failure_mode": "open"}) or d["rateLimits"].pop("failureMode")), "failureMode is not 'closed'"),
    ("rate-limits-sane", "env override", _env("RATE_LIMIT_PER_USER", "100000"), "with the environment of Deployment bakerst/brain"),
    ("budgets-sane", "env override", _env("COST_LIMIT_DAILY", "9999999"), "exceeds monthlyUsd"),
    ("guardrails-fail-closed", "no secret kinds", hooks("guardrails.yaml", setter("sanitizer.secret_kinds", [])),
     "sanitizer.secrets is off or lists no kinds"),
    ("guardrails-fail-closed", "approval never fires", hooks("guardrails.yaml", setter("approval.level", "critical")),
     "no call would ever be held"),
    ("guardrails-fail-closed", "provenance off", hooks("guardrails.yaml", setter("provenance", {"enabled": False})),
     "provenance.enabled is false"),
    ("secrets-from-external-secrets", "optional secret still counts", on("Deployment", setter(
     "spec.template.spec.containers.0.envFrom.0", {"secretRef": {"name": "other", "optional": True}})), "reads Secret 'other'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "change_id", "change", "expected"), REVIEW_CASES, ids=[f"{c[0]}:{c[1]}" for c in REVIEW_CASES]
)
def test_review_shapes_are_caught(policy: str, change_id: str, change: Change, expected: str) -> None:
    test_one_change_one_violation(policy, change_id, change, expected)


def _cluster_external_secret(stack: Stack) -> None:
    """The brain's secret synced by a ClusterExternalSecret instead of a namespaced ExternalSecret."""
    drop("ExternalSecret")(stack)
    stack.append(
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ClusterExternalSecret",
            "metadata": {"name": "brain"},
            "spec": {"externalSecretSpec": {"target": {"name": "bakerst-brain-secrets"}}},
        }
    )


LEGITIMATE: list[tuple[str, str, Change]] = [
    ("kyverno-pod-security-enforced", "lowercase enforce", on("ClusterPolicy", lambda p: (
     p["spec"]["rules"][0]["validate"].pop("failureAction"), p["spec"].update({"validationFailureAction": "enforce"})),
     "pod-security-restricted")),
    ("kyverno-pod-security-enforced", "wildcard namespaces", on("ClusterPolicy", setter(f"{PSS}.match.any.0.resources.namespaces",
     ["bakerst*"]), "pod-security-restricted")),
    ("image-signature-verified", "short Docker Hub name", lambda st: (
     on("ClusterPolicy", setter(f"{SIG}.verifyImages.0.imageReferences", [f"{fx.REGISTRY}/*", "docker.io/*"]), "require-image-signature")(st),
     on("Deployment", setter("spec.template.spec.containers.0.image", f"nats{DIGEST}"))(st))),
    ("task-egress-nats-dns-only", "NodeLocal DNS address", on("NetworkPolicy", setter("spec.egress.1.to.0",
     {"ipBlock": {"cidr": "169.254.20.10/32"}}), "allow-egress-nats-dns")),
    ("secrets-from-external-secrets", "ClusterExternalSecret", _cluster_external_secret),
]  # fmt: skip


@pytest.mark.parametrize(("policy", "change_id", "change"), LEGITIMATE, ids=[f"{c[0]}:{c[1]}" for c in LEGITIMATE])
def test_legitimate_variants_pass(policy: str, change_id: str, change: Change) -> None:
    stack = fx.compliant_stack()
    change(stack)
    config = {"dnsAddresses": ["169.254.20.10/32"]} if change_id == "NodeLocal DNS address" else None
    assert check_stack(policy, stack, config) == []


# ---------------------------------------------------------------------------------------------------------------
# Second review round: patches, selectors, run-time coverage per namespace, Kyverno escape hatches, env sources.


def _patch(kind: str, name: str, namespace: str | None, body: dict[str, Any]) -> Change:
    metadata: dict[str, Any] = {"name": name, **({"namespace": namespace} if namespace else {})}
    return add({"apiVersion": "x/v1", "kind": f"{kind}Patch", "metadata": metadata, **body})


def _exception(policy: str) -> Change:
    return add({
        "apiVersion": "kyverno.io/v2",
        "kind": "PolicyException",
        "metadata": {"name": "let-it-be", "namespace": fx.TASK_NS},
        "spec": {
            "exceptions": [{"policyName": policy, "ruleNames": ["*"]}],
            "match": {"any": [{"resources": {"kinds": ["Pod"], "namespaces": [fx.TASK_NS]}}]},
        },
    })  # fmt: skip


def _env_from_config_map(stack: Stack) -> None:
    stack.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "limits", "namespace": fx.APP_NS},
                  "data": {"RATE_LIMIT_PER_USER": "100000"}})  # fmt: skip
    find(stack, "Deployment")["spec"]["template"]["spec"]["containers"][0]["envFrom"].append(
        {"configMapRef": {"name": "limits"}}
    )


def _env_from_secret(stack: Stack) -> None:
    container = find(stack, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    container["env"].append({"name": "RATE_LIMIT_GLOBAL", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}})


def _sidecar_hides_nothing(stack: Stack) -> None:
    spec = find(stack, "Deployment")["spec"]["template"]["spec"]
    spec["containers"][0]["env"].append({"name": "RATE_LIMIT_PER_USER", "value": "100000"})
    sidecar = fx.container("sidecar")
    sidecar["env"] = [{"name": "RATE_LIMIT_PER_USER", "value": "30"}]
    spec["containers"].append(sidecar)


ROUND2_CASES: list[tuple[str, str, Change, str]] = [
    ("namespace-default-deny", "patch opens the task deny", _patch("NetworkPolicy", "default-deny", fx.TASK_NS,
     {"spec": {"egress": [{}]}}), "no default-deny egress"),
    ("kyverno-pod-security-enforced", "patch turns admission off", _patch("ClusterPolicy", "pod-security-restricted", None,
     {"spec": {"admission": False}}), "admission disabled"),
    ("task-service-account-unprivileged", "patch mounts the token", _patch("ServiceAccount", "bakerst-task", fx.TASK_NS,
     {"automountServiceAccountToken": True}), "automountServiceAccountToken"),
    ("guardrails-fail-closed", "patch replaces the chain", _patch("ConfigMap", "bakerst-hooks", fx.APP_NS,
     {"data": {"guardrails.yaml": "checks: [schema]\n"}}), "leaves out the injection"),
    ("task-egress-nats-dns-only", "NATS in another namespace", on("NetworkPolicy", setter(
     "spec.egress.0.to.0.namespaceSelector.matchLabels", {"kubernetes.io/metadata.name": "attacker-ns"}),
     "allow-egress-nats-dns"), "not where NATS runs"),
    ("task-egress-nats-dns-only", "ANP allow selected by label", add({**fx.admin_network_policy(), "metadata": {"name": "open"},
     "spec": {"priority": 1, "subject": {"namespaces": {"matchLabels": {"app.kubernetes.io/component": "task-namespace"}}},
              "egress": [{"name": "all", "action": "Allow", "to": [{"networks": ["0.0.0.0/0"]}]}]}}), "rule 'all' allows"),
    ("task-namespace-admin-deny", "broad Pass before Deny", on("AdminNetworkPolicy", lambda a: a["spec"]["egress"].insert(
     0, {"name": "pass-all", "action": "Pass", "to": [{"namespaces": {}}]})), "No AdminNetworkPolicy denies traffic"),
    ("image-signature-verified", "task namespace unverified at run time", on("ClusterPolicy", setter(
     "spec.rules.0.match.any.0.resources.namespaces", [fx.APP_NS]), "require-image-signature"),
     "Pods created in namespace bakerst-tasks may run images"),
    ("image-sbom-attested", "task namespace without SBOM at run time", on("ClusterPolicy", setter(
     "spec.rules.0.match.any.0.resources.namespaces", [fx.APP_NS]), "require-image-signature"),
     "Pods created in namespace bakerst-tasks may run images"),
    ("kyverno-pod-security-enforced", "PolicyException", _exception("pod-security-restricted"),
     "bakerst-tasks is not matched"),
    ("image-signature-verified", "PolicyException", _exception("require-image-signature"), "bakerst-tasks may run images"),
    ("kyverno-pod-security-enforced", "webhook fails open", on("ClusterPolicy", setter("spec.webhookConfiguration",
     {"failurePolicy": "Ignore"}), "pod-security-restricted"), "failurePolicy Ignore"),
    ("kyverno-pod-security-enforced", "webhook match conditions", on("ClusterPolicy", setter("spec.webhookConfiguration",
     {"matchConditions": [{"name": "never", "expression": "false"}]}), "pod-security-restricted"), "matchConditions"),
    ("kyverno-pod-security-enforced", "applyRules One", on("ClusterPolicy", lambda p: (p["spec"].update({"applyRules": "One"}),
     p["spec"]["rules"].insert(0, {"name": "first", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
     "validate": {"failureAction": "Audit", "pattern": {"metadata": {"name": "?*"}}}})), "pod-security-restricted"),
     "is not matched"),
    ("kyverno-pod-security-enforced", "namespaces as a string", on("ClusterPolicy", setter(
     "spec.rules.0.match.any.0.resources.namespaces", fx.TASK_NS), "pod-security-restricted"), "is not matched"),
    ("image-registry-allowed", "conditional anchor", on("ClusterPolicy", setter(
     "spec.rules.0.validate.pattern.spec.containers", [{"(name)": "never-*", "image": f"{fx.REGISTRY}/*"}]),
     "restrict-registries"), "restricts image registries"),
    ("rate-limits-sane", "env from a ConfigMap", _env_from_config_map, "perUserPerMinute 100000"),
    ("rate-limits-sane", "env from a Secret", _env_from_secret, "cannot be verified"),
    ("rate-limits-sane", "a sidecar does not hide the brain", _sidecar_hides_nothing, "container brain"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "change_id", "change", "expected"), ROUND2_CASES, ids=[f"{c[0]}:{c[1]}" for c in ROUND2_CASES]
)
def test_round2_shapes_are_caught(policy: str, change_id: str, change: Change, expected: str) -> None:
    test_one_change_one_violation(policy, change_id, change, expected)


def test_an_enforce_override_counts() -> None:
    """validate Audit with an override to Enforce for both namespaces enforces there (Kyverno semantics)."""
    stack = fx.compliant_stack()
    rule = find(stack, "ClusterPolicy", "pod-security-restricted")["spec"]["rules"][0]
    rule["validate"]["failureAction"] = "Audit"
    rule["validate"]["failureActionOverrides"] = [{"action": "Enforce", "namespaces": [fx.APP_NS, fx.TASK_NS]}]
    assert check_stack("kyverno-pod-security-enforced", stack) == []


def test_a_patch_defining_a_container_is_judged_whole() -> None:
    from tests.policies.harness import check_resource

    patch = {"apiVersion": "apps/v1", "kind": "DeploymentPatch", "metadata": {"name": "brain", "namespace": fx.APP_NS},
             "spec": {"template": {"spec": {"containers": [{"name": "extra", "image": fx.IMAGE}]}}}}  # fmt: skip
    assert any("allowPrivilegeEscalation" in m for m in check_resource("pod-no-privilege", patch))
    assert any("may run as root" in m for m in check_resource("pod-restricted-profile", patch))


@pytest.mark.parametrize("value", [None, 1.5, "str", ["a"], {"k": "v"}, True])
def test_malformed_values_never_crash_a_policy(value: Any) -> None:
    """Schema-invalid values (the API server would refuse them) give violations or nothing, never an exception."""
    from policies.pack import SPECS
    from tests.policies.harness import check_resource

    targets = [
        ("NetworkPolicy", "allow-egress-nats-dns", ("spec", "egress", 0, "ports", 0, "port")),
        ("RoleBinding", None, ("roleRef", "name")),
        ("ResourceQuota", None, ("spec", "hard")),
        (
            "ClusterPolicy",
            "require-image-signature",
            ("spec", "rules", 0, "verifyImages", 0, "attestations", 0, "type"),
        ),
        ("ClusterPolicy", "pod-security-restricted", ("spec", "rules", 0, "match")),
        ("Deployment", None, ("spec", "template", "spec", "containers", 0, "env")),
    ]
    for kind, name, path in targets:
        stack = fx.compliant_stack()
        target: Any = find(stack, kind, name)
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        for spec in SPECS:
            if spec.kind == "stack":
                check_stack(spec.name, stack)
            else:
                for obj in stack:
                    check_resource(spec.name, obj)
