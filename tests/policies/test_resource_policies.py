# ruff: noqa: E501  (the case tables keep one case per line)
"""Each resource policy: the compliant fixture passes; each single-field change yields the named violation,
with the remediation appended; unrelated kinds are ignored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.policies import fixtures as fx
from tests.policies.harness import check_resource, deleter, mutated, setter

POD = "spec.template.spec"
C0 = f"{POD}.containers.0"


def _add_init_container(obj: dict[str, Any]) -> None:
    init = fx.container("init", "busybox:latest")
    obj["spec"]["template"]["spec"]["initContainers"].append(init)


def _cronjob() -> dict[str, Any]:
    pod = fx.deployment()["spec"]["template"]
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly", "namespace": fx.APP_NS},
        "spec": {"schedule": "0 0 * * *", "jobTemplate": {"spec": {"template": pod}}},
    }


Change = Callable[[Any], None]


def _label(key: str, value: str | None) -> Change:
    def change(obj: Any) -> None:
        labels = obj["metadata"]["labels"]
        if value is None:
            del labels[key]
        else:
            labels[key] = value

    return change


# (policy, compliant fixture, change, expected words in the one violation)
CASES: list[tuple[str, Callable[[], dict[str, Any]], str, Change, str]] = [
    # namespace-pod-security-enforced
    ("namespace-pod-security-enforced", fx.namespace, "no enforce label",
     _label("pod-security.kubernetes.io/enforce", None), "no pod-security.kubernetes.io/enforce label"),
    ("namespace-pod-security-enforced", fx.namespace, "baseline",
     _label("pod-security.kubernetes.io/enforce", "baseline"), "weaker than 'restricted'"),
    ("namespace-pod-security-enforced", fx.namespace, "unpinned",
     _label("pod-security.kubernetes.io/enforce-version", "latest"), "does not pin"),
    # pod-no-host-access
    ("pod-no-host-access", fx.deployment, "hostNetwork", setter(f"{POD}.hostNetwork", True), "hostNetwork: true"),
    ("pod-no-host-access", fx.deployment, "hostPID", setter(f"{POD}.hostPID", True), "hostPID: true"),
    ("pod-no-host-access", fx.deployment, "hostIPC", setter(f"{POD}.hostIPC", True), "hostIPC: true"),
    ("pod-no-host-access", fx.deployment, "hostPath",
     setter(f"{POD}.volumes.1", {"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}), "hostPath volume"),
    ("pod-no-host-access", fx.deployment, "hostPort",
     setter(f"{C0}.ports.0", {"containerPort": 3000, "hostPort": 3000}), "hostPort 3000"),
    # pod-no-privilege
    ("pod-no-privilege", fx.deployment, "privileged", setter(f"{C0}.securityContext.privileged", True), "is privileged"),
    ("pod-no-privilege", fx.deployment, "escalation",
     setter(f"{C0}.securityContext.allowPrivilegeEscalation", True), "allowPrivilegeEscalation: false"),
    ("pod-no-privilege", fx.deployment, "keeps capabilities",
     setter(f"{C0}.securityContext.capabilities.drop", ["NET_RAW"]), "does not drop ALL"),
    ("pod-no-privilege", fx.deployment, "adds NET_RAW",
     setter(f"{C0}.securityContext.capabilities.add", ["NET_RAW"]), "adds capabilities NET_RAW"),
    ("pod-no-privilege", fx.deployment, "host process",
     setter(f"{POD}.securityContext.windowsOptions", {"hostProcess": True}), "Windows HostProcess pod"),
    # pod-restricted-profile
    ("pod-restricted-profile", fx.deployment, "root allowed",
     deleter(f"{POD}.securityContext.runAsNonRoot"), "may run as root"),
    ("pod-restricted-profile", fx.deployment, "uid 0", setter(f"{C0}.securityContext.runAsUser", 0), "runAsUser: 0"),
    ("pod-restricted-profile", fx.deployment, "no seccomp",
     deleter(f"{POD}.securityContext.seccompProfile"), "has no seccompProfile"),
    ("pod-restricted-profile", fx.deployment, "unconfined",
     setter(f"{POD}.securityContext.seccompProfile", {"type": "Unconfined"}), "'Unconfined'"),
    ("pod-restricted-profile", fx.deployment, "nfs volume",
     setter(f"{POD}.volumes.1", {"name": "share", "nfs": {"server": "nas", "path": "/x"}}), "type nfs"),
    # container-read-only-rootfs
    ("container-read-only-rootfs", fx.deployment, "writable",
     setter(f"{C0}.securityContext.readOnlyRootFilesystem", False), "writable root filesystem"),
    # image-pinned-by-digest
    ("image-pinned-by-digest", fx.deployment, "tag", setter(f"{C0}.image", "bakerst-brain:latest"), "not pinned"),
    ("image-pinned-by-digest", fx.deployment, "init tag", _add_init_container, "init container init image"),
    ("image-pinned-by-digest", _cronjob, "cronjob tag",
     setter("spec.jobTemplate.spec.template.spec.containers.0.image", "brain:1.0"), "CronJob bakerst/nightly"),
    # rbac-no-wildcards
    ("rbac-no-wildcards", fx.role, "verbs", setter("rules.0.verbs", ["*"]), "wildcard in verbs"),
    ("rbac-no-wildcards", fx.role, "resources", setter("rules.1.resources", ["*"]), "wildcard in resources"),
    ("rbac-no-wildcards", fx.role, "apiGroups", setter("rules.0.apiGroups", ["*"]), "wildcard in apiGroups"),
    # rbac-no-cluster-admin
    ("rbac-no-cluster-admin", fx.role_binding, "cluster-admin",
     setter("roleRef", {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}),
     "binds cluster-admin"),
    ("rbac-no-cluster-admin", fx.role_binding, "system:masters",
     setter("subjects.0", {"kind": "Group", "name": "system:masters"}), "group system:masters"),
    # rbac-secrets-read-limited
    ("rbac-secrets-read-limited", fx.role, "reads secrets",
     setter("rules.1.resources", ["pods", "secrets"]), "can read Secrets"),
    # no-literal-secrets (fixture: a Secret with no data; change: literal data)
    ("no-literal-secrets", lambda: {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "x"}},
     "data", setter("data", {"AUTH_TOKEN": "c2VjcmV0"}), "literal data (AUTH_TOKEN)"),
    ("no-literal-secrets", lambda: {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "x"}},
     "stringData", setter("stringData", {"password": "hunter2"}), "literal data (password)"),
    # no-secret-literals-in-env
    ("no-secret-literals-in-env", fx.deployment, "named token",
     setter(f"{C0}.env.0", {"name": "AUTH_TOKEN", "value": "abcd1234efgh"}), "sets AUTH_TOKEN to a literal"),
    ("no-secret-literals-in-env", fx.deployment, "key-shaped value",
     setter(f"{C0}.env.0", {"name": "UPSTREAM", "value": "sk-ant-" + "x" * 40}), "sets UPSTREAM to a literal"),
    ("no-secret-literals-in-env", fx.deployment, "dsn with password",
     setter(f"{C0}.env.0", {"name": "DB", "value": "postgres://app:s3cretpw@db:5432/x"}), "sets DB to a literal"),
    # container-resources-set
    ("container-resources-set", fx.deployment, "no limits", deleter(f"{C0}.resources.limits"), "limits.cpu, limits.memory"),
    ("container-resources-set", fx.deployment, "no memory request",
     deleter(f"{C0}.resources.requests.memory"), "requests.memory"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "fixture", "change_id", "change", "expected"), CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES]
)
def test_one_change_one_violation(
    policy: str, fixture: Callable[[], dict[str, Any]], change_id: str, change: Change, expected: str
) -> None:
    compliant = fixture()
    assert check_resource(policy, compliant) == [], f"{policy}: the compliant fixture must pass"
    messages = check_resource(policy, mutated(compliant, change))
    assert len(messages) == 1, messages
    assert expected in messages[0], messages[0]
    assert " Fix: " in messages[0], "every violation carries its remediation"


RESOURCE_POLICIES = sorted({c[0] for c in CASES})


@pytest.mark.parametrize("policy", RESOURCE_POLICIES)
def test_resource_policies_ignore_other_kinds(policy: str) -> None:
    """A ConfigMap is not a workload, namespace, role, binding or Secret: no policy has anything to say."""
    assert check_resource(policy, fx.hooks_config()) == []


def test_every_resource_policy_has_cases() -> None:
    from policies.pack import SPECS

    assert sorted(s.name for s in SPECS if s.kind == "resource") == RESOURCE_POLICIES


def test_policy_config_changes_what_is_required() -> None:
    baseline = fx.namespace(level="baseline")
    assert check_resource("namespace-pod-security-enforced", baseline)  # default: restricted
    assert check_resource("namespace-pod-security-enforced", baseline, {"level": "baseline"}) == []
    assert check_resource("namespace-pod-security-enforced", fx.namespace(level="privileged"), {"level": "baseline"})


def test_every_workload_kind_is_read() -> None:
    """The pod spec is found under each controller's template (Deployment, StatefulSet, Job, CronJob)."""
    dep = mutated(fx.deployment(), setter(f"{POD}.hostNetwork", True))
    for kind in ("StatefulSet", "Job"):
        obj = dict(dep, kind=kind)
        assert any("hostNetwork" in m for m in check_resource("pod-no-host-access", obj)), kind
    cron = mutated(_cronjob(), setter("spec.jobTemplate.spec.template.spec.hostPID", True))
    assert any("hostPID" in m for m in check_resource("pod-no-host-access", cron))


def test_harmless_env_literals_are_not_secrets() -> None:
    dep = fx.deployment()
    dep["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "NODE_EXTRA_CA_CERTS", "value": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"},
        {"name": "TOKEN_TTL", "value": "3600"},
        {"name": "AUTH_ENABLED", "value": "true"},
        {"name": "SECRET_PATH", "value": "/etc/bakerst/secret"},
        {"name": "NATS_URL", "value": "nats://nats.bakerst.svc.cluster.local:4222"},
    ]
    assert check_resource("no-secret-literals-in-env", dep) == []


# ---------------------------------------------------------------------------------------------------------------
# Shapes that once slipped through (review findings).

REVIEW_CASES: list[tuple[str, Callable[[], dict[str, Any]], str, Change, str]] = [
    ("namespace-pod-security-enforced", fx.namespace, "old version pin",
     _label("pod-security.kubernetes.io/enforce-version", "v1.0"), "older than v1.30"),
    ("pod-restricted-profile", fx.deployment, "procMount", setter(f"{C0}.securityContext.procMount", "Unmasked"), "procMount"),
    ("pod-restricted-profile", fx.deployment, "selinux", setter(f"{C0}.securityContext.seLinuxOptions", {"type": "spc_t"}),
     "seLinuxOptions.type 'spc_t'"),
    ("pod-restricted-profile", fx.deployment, "apparmor", setter(f"{POD}.securityContext.appArmorProfile", {"type": "Unconfined"}),
     "AppArmor-unconfined"),
    ("pod-restricted-profile", fx.deployment, "apparmor annotation", setter("spec.template.metadata.annotations",
     {"container.apparmor.security.beta.kubernetes.io/brain": "unconfined"}), "AppArmor-unconfined (annotation)"),
    ("pod-restricted-profile", fx.deployment, "unsafe sysctl", setter(f"{POD}.securityContext.sysctls",
     [{"name": "kernel.core_pattern", "value": "|/x"}]), "kernel.core_pattern"),
    ("rbac-no-wildcards", lambda: {**fx.role(), "kind": "ClusterRole"}, "aggregation", setter("aggregationRule",
     {"clusterRoleSelectors": [{"matchLabels": {"kubernetes.io/bootstrapping": "rbac-defaults"}}]}), "aggregationRule"),
    ("rbac-no-cluster-admin", lambda: {**fx.role_binding(), "kind": "ClusterRoleBinding"}, "edit cluster-wide",
     setter("roleRef", {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}), "binds edit cluster-wide"),
    ("no-secret-literals-in-env", fx.deployment, "numeric password",
     setter(f"{C0}.env.0", {"name": "DB_PASSWORD", "value": "8675309123"}), "sets DB_PASSWORD"),
    ("no-secret-literals-in-env", fx.deployment, "dsn in args",
     setter(f"{C0}.args", ["--db-url=postgres://admin:hunter22@db/x"]), "in its args"),
]  # fmt: skip


@pytest.mark.parametrize(("policy", "fixture", "change_id", "change", "expected"), REVIEW_CASES,
                         ids=[f"{c[0]}:{c[2]}" for c in REVIEW_CASES])  # fmt: skip
def test_review_shapes_are_caught(
    policy: str, fixture: Callable[[], dict[str, Any]], change_id: str, change: Change, expected: str
) -> None:
    test_one_change_one_violation(policy, fixture, change_id, change, expected)


def test_patches_are_judged_on_what_they_set() -> None:
    """A server-side-apply patch carries a partial object: what it sets is judged, what it leaves out is not."""
    weakening = {"apiVersion": "v1", "kind": "NamespacePatch", "metadata": {"name": fx.TASK_NS,
                 "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}}  # fmt: skip
    assert any("weaker than" in m for m in check_resource("namespace-pod-security-enforced", weakening))
    harmless = {
        "apiVersion": "v1",
        "kind": "NamespacePatch",
        "metadata": {"name": fx.TASK_NS, "annotations": {"a": "b"}},
    }
    assert check_resource("namespace-pod-security-enforced", harmless) == []
    patch = {
        "apiVersion": "apps/v1",
        "kind": "DeploymentPatch",
        "metadata": {"name": "brain", "namespace": fx.APP_NS},
        "spec": {"template": {"spec": {"hostPID": True, "containers": [
            {"name": "brain", "securityContext": {"privileged": True}}]}}},
    }  # fmt: skip
    assert any("hostPID" in m for m in check_resource("pod-no-host-access", patch))
    assert [m for m in check_resource("pod-no-privilege", patch) if "is privileged" in m]
    assert not [m for m in check_resource("pod-no-privilege", patch) if "drop ALL" in m]  # not stated, not judged
    assert (
        check_resource("image-pinned-by-digest", patch) == [] and check_resource("container-resources-set", patch) == []
    )
    secret = {"apiVersion": "v1", "kind": "SecretPatch", "metadata": {"name": "s", "namespace": "x"},
              "stringData": {"password": "hunter2"}}  # fmt: skip
    assert check_resource("no-literal-secrets", secret)


def test_names_that_describe_credentials_are_not_credentials() -> None:
    dep = fx.deployment()
    dep["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "VAULT_SECRET_PATH", "value": "secret/data/bakerst/brain"},
        {"name": "AUTH_TOKEN_HEADER", "value": "X-Auth-Token"},
        {"name": "TOKEN_AUDIENCE", "value": "https://api.example"},
        {"name": "API_KEY", "value": "$(API_KEY_FROM_SECRET)"},
    ]
    assert check_resource("no-secret-literals-in-env", dep) == []
