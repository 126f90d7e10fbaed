"""``pulumi up`` of ``enterprise`` on a real control plane (kwok nodes), then Kubernetes itself judges what the
offline checks assert: Pod Security, the task quota, RBAC (``kubectl auth can-i``) and the CRD schemas.

The tests run in file order on one deployment: up, judgements, a second up with no change, an in-place update,
and destroy last.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from tests.e2e.cluster import Cluster
from tests.e2e.stacks import Project, Run

APP_NS, TASK_NS = "bakerst", "bakerst-tasks"
BRAIN = f"system:serviceaccount:{APP_NS}:brain"
TASK_SA = f"system:serviceaccount:{TASK_NS}:bakerst-task"
PART_OF = "app.kubernetes.io/part-of"

#: What README.md promises for the brain: Jobs and Pods in the task namespace, nothing else.
BRAIN_IN_TASK_NS = {
    "jobs.batch": {"create", "get", "list", "watch", "delete"},
    "pods": {"get", "list", "watch", "delete"},
    "pods/log": {"get"},
}
#: What every authenticated identity may do (system:basic-user, system:discovery): not the project's grants.
EVERYONE = {
    "selfsubjectaccessreviews.authorization.k8s.io",
    "selfsubjectrulesreviews.authorization.k8s.io",
    "selfsubjectreviews.authentication.k8s.io",
}


@dataclass
class Deployment:
    stack: auto.Stack
    first_up: Run


@pytest.fixture(scope="module")
def deployed(project: Project) -> Deployment:
    """The first ``up``. Destroy is a test of its own (last in this file); after a failure nothing outlives the
    session anyway: the control plane and the file backend are the session's own and go with it."""
    stack = project.stack("enterprise")
    return Deployment(stack, project.up(stack, "enterprise"))


def _json(cluster: Cluster, *args: str) -> Any:
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)


def test_up_creates_everything_and_every_workload_is_available(deployed: Deployment, cluster: Cluster) -> None:
    run = deployed.first_up
    assert run.error == "", run.error[-4000:]
    assert run.failing("mandatory") == {} and run.failing("advisory") == {}
    assert set(run.changes) == {"create"} and run.changes["create"] >= 60, run.changes
    retried = [m for _, m in run.diagnostics if "creation failed" in m or "Retry #" in m]
    # The SDK is pinned at 4.34.2 for users; the engine runs the 4.25.0 provider built here and says so.
    warnings = {m for s, m in run.diagnostics if s == "warning"}
    assert any("using pulumi-resource-kubernetes from $PATH" in m and "4.25.0" in m for m in warnings), warnings
    assert retried == [], f"creation relied on retries: {retried[:5]}"
    for kind in ("deployments", "statefulsets"):
        for item in _json(cluster, kind, "-n", APP_NS)["items"]:
            want = item["spec"].get("replicas", 1)
            ready = item["status"].get("readyReplicas", 0)
            assert ready == want, f"{kind}/{item['metadata']['name']}: {ready}/{want} ready"
    pods = _json(cluster, "pods", "-n", APP_NS)["items"]
    assert pods and all(p["status"]["phase"] == "Running" for p in pods), [p["metadata"]["name"] for p in pods]


def _restricted_pod(name: str, **extra: Any) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "c",
        "image": "registry.k8s.io/pause:3.10",
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    container["securityContext"].update(extra)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": TASK_NS},
        "spec": {"automountServiceAccountToken": False, "containers": [container]},
    }


def _wait_for(what: str, check: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_pod_security_refuses_a_privileged_pod_in_the_task_namespace(deployed: Deployment, cluster: Cluster) -> None:
    _wait_for(
        "the task namespace's default ServiceAccount",
        lambda: cluster.kubectl("get", "sa", "default", "-n", TASK_NS, check=False).returncode == 0,
    )
    pod = _restricted_pod("priv", privileged=True, allowPrivilegeEscalation=True)
    proc = cluster.apply([pod], "--dry-run=server")
    assert proc.returncode != 0
    assert 'violates PodSecurity "restricted:v1.30"' in proc.stderr, proc.stderr
    assert "privileged" in proc.stderr
    ok = cluster.apply([_restricted_pod("fine")], "--dry-run=server")
    assert ok.returncode == 0, ok.stderr


def test_pods_beyond_the_task_quota_are_refused(deployed: Deployment, cluster: Cluster) -> None:
    """Quota 2Gi of memory limits, LimitRange default limit 512Mi per container: the fifth pod is refused."""
    _wait_for(
        "the quota's status (controller-manager)",
        lambda: bool(_json(cluster, "resourcequota", "task-quota", "-n", TASK_NS).get("status", {}).get("hard")),
    )
    admitted, refusal = 0, ""
    for i in range(11):
        proc = cluster.apply([_restricted_pod(f"quota-{i}")])
        if proc.returncode != 0:
            refusal = proc.stderr
            break
        admitted += 1
    cluster.kubectl("delete", "pods", "-n", TASK_NS, "--all", "--wait=false")
    assert admitted == 4, refusal
    assert "exceeded quota: task-quota" in refusal, refusal


def _can_i_list(cluster: Cluster, user: str, namespace: str) -> dict[str, set[str]]:
    """``kubectl auth can-i --list``: resource to verbs (non-resource URLs and the everyone-rules left out)."""
    out = cluster.kubectl("auth", "can-i", "--list", "-n", namespace, as_user=user).stdout
    rules: dict[str, set[str]] = {}
    for line in out.splitlines()[1:]:
        resource = line.split("[", 1)[0].strip()
        groups = re.findall(r"\[([^\]]*)\]", line)
        if not resource or resource in EVERYONE or len(groups) < 3:
            continue
        rules.setdefault(resource, set()).update(groups[-1].split())
    return rules


def test_brain_and_task_service_accounts_have_exactly_the_promised_rights(
    deployed: Deployment, cluster: Cluster
) -> None:
    assert _can_i_list(cluster, BRAIN, TASK_NS) == BRAIN_IN_TASK_NS
    assert _can_i_list(cluster, BRAIN, APP_NS) == {}
    assert _can_i_list(cluster, BRAIN, "default") == {}
    for namespace in (TASK_NS, APP_NS, "default"):
        assert _can_i_list(cluster, TASK_SA, namespace) == {}, namespace
    # The same matrix, asked verb by verb (what an operator would type).
    for verb, resource, namespace, expected in [
        ("create", "jobs.batch", TASK_NS, "yes"),
        ("delete", "pods", TASK_NS, "yes"),
        ("get", "pods/log", TASK_NS, "yes"),
        ("create", "pods", TASK_NS, "no"),
        ("get", "secrets", TASK_NS, "no"),
        ("get", "secrets", APP_NS, "no"),
        ("create", "jobs.batch", APP_NS, "no"),
    ]:
        got = cluster.kubectl("auth", "can-i", verb, resource, "-n", namespace, as_user=BRAIN, check=False).stdout
        assert got.strip() == expected, (verb, resource, namespace)
    task = cluster.kubectl("auth", "can-i", "create", "jobs.batch", "-n", TASK_NS, as_user=TASK_SA, check=False)
    assert task.stdout.strip() == "no"


CRD_KINDS = {
    "ClusterPolicy": "clusterpolicies.kyverno.io",
    "ClusterSecretStore": "clustersecretstores.external-secrets.io",
    "ExternalSecret": "externalsecrets.external-secrets.io",
    "AdminNetworkPolicy": "adminnetworkpolicies.policy.networking.k8s.io",
}


def test_crd_objects_are_accepted_and_an_unknown_field_is_refused(deployed: Deployment, cluster: Cluster) -> None:
    for kind, resource in CRD_KINDS.items():
        items = _json(cluster, resource, "-A")["items"]
        assert items, f"no {kind} was created"
        obj = items[0]
        clean = {
            "apiVersion": obj["apiVersion"],
            "kind": kind,
            "metadata": {k: v for k, v in obj["metadata"].items() if k in ("name", "namespace", "labels")},
            "spec": obj["spec"],
        }
        again = cluster.apply([clean], "--dry-run=server", "--server-side", "--force-conflicts")
        assert again.returncode == 0, f"{kind}: {again.stderr}"
        bogus = {**clean, "spec": {**clean["spec"], "bogusField": True}}
        refused = cluster.apply([bogus], "--dry-run=server", "--validate=strict")
        assert refused.returncode != 0, f"{kind} with an unknown field was accepted"
        assert "bogusField" in refused.stderr, refused.stderr


def test_second_up_changes_nothing(project: Project, deployed: Deployment) -> None:
    run = project.up(deployed.stack, "enterprise")
    assert run.error == "", run.error[-3000:]
    assert set(run.changes) == {"same"}, run.changes


def test_task_quota_change_updates_in_place(project: Project, deployed: Deployment, cluster: Cluster) -> None:
    config = deployed.stack.get_config("bakerst:taskQuota")
    quota = yaml.safe_load(config.value)
    quota["pods"] = 12
    deployed.stack.set_config("bakerst:taskQuota", auto.ConfigValue(value=json.dumps(quota)))
    run = project.up(deployed.stack, "enterprise")
    assert run.error == "", run.error[-3000:]
    assert run.changes.get("update") == 1 and not {"create", "delete", "replace"} & set(run.changes), run.changes
    hard = _json(cluster, "resourcequota", "task-quota", "-n", TASK_NS)["spec"]["hard"]
    assert hard["pods"] == "12"


def test_destroy_leaves_nothing_behind(project: Project, deployed: Deployment, cluster: Cluster) -> None:
    run = project.destroy(deployed.stack)
    assert run.error == "", run.error[-3000:]
    assert set(run.changes) == {"delete"}, run.changes
    namespaces = {n["metadata"]["name"] for n in _json(cluster, "namespaces")["items"]}
    assert not {APP_NS, TASK_NS, "telemetry"} & namespaces
    kinds = "clusterroles,clusterrolebindings," + ",".join(CRD_KINDS.values())
    left = cluster.kubectl("get", kinds, "-A", "-l", PART_OF, "-o", "name").stdout.split()
    assert left == []
