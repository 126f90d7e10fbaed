"""The hooks service in the brain pod (BSH-GRD-01): the guardrail chain, audit sink and governor the stack configures
only protect the app if the brain actually calls them. Stack policies over the brain Deployments."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import yaml
from pulumi_policy import ReportViolation, Severity

from policies.k8s import as_list, describe, get, pod_spec
from policies.rules._objects import K8sObject, external_secret_targets, hooks_config, objects
from policies.spec import PolicySpec

#: Pods whose template carries this label are the brain's (upstream's brain-blue and brain-green).
BRAIN_LABEL = ("app", "brain")
ADAPTER_FLAG = "--import="
ADAPTER_ENTRY = "register.mjs"
URL_ENV = "BAKERST_HOOKS_URL"
TOKEN_ENV = "BAKERST_HOOKS_TOKEN"


def brain_pods(objs: list[K8sObject]) -> Iterator[tuple[K8sObject, Mapping[str, Any]]]:
    """``(workload, pod spec)`` of every workload whose pods are the brain's."""
    for obj in objs:
        spec = pod_spec(obj.kind, obj.props)
        if spec is None:
            continue
        template_labels = get(obj.props, "spec", "template", "metadata", "labels") or {}
        if isinstance(template_labels, Mapping) and template_labels.get(BRAIN_LABEL[0]) == BRAIN_LABEL[1]:
            yield obj, spec


def _sidecar(spec: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The native sidecar (init container, ``restartPolicy: Always``) that runs ``hooks serve``, if any."""
    for container in as_list(spec.get("initContainers")):
        command = [str(part) for part in as_list(container.get("command")) + as_list(container.get("args"))]
        if container.get("restartPolicy") == "Always" and "hooks" in command and "serve" in command:
            return container  # type: ignore[no-any-return]
    return None


def _env(container: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(e.get("name")): e for e in as_list(container.get("env")) if isinstance(e, Mapping)}


def brain_runs_hooks(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    config_maps = {(m.namespace, m.name) for m in hooks_config(objs)}
    for obj, spec in brain_pods(objs):
        what = describe(obj.kind, obj.props)
        sidecar = _sidecar(spec)
        if sidecar is None:
            report(f"{what}: the brain pod runs no hooks service (a native sidecar running `hooks serve`).", obj.urn)
            continue
        mounted = {
            str(get(v, "configMap", "name"))
            for v in as_list(spec.get("volumes"))
            if isinstance(get(v, "configMap"), Mapping)
        }
        if not any(name in mounted for ns, name in config_maps if ns == obj.namespace):
            report(f"{what}: the hooks sidecar does not mount the hooks runtime ConfigMap the stack checked.", obj.urn)
        for container in as_list(spec.get("containers")):
            env = _env(container)
            node_options = str(get(env.get("NODE_OPTIONS"), "value") or "")
            name = container.get("name")
            if ADAPTER_FLAG not in node_options or ADAPTER_ENTRY not in node_options:
                report(f"{what}: container {name} does not load the hooks adapter (NODE_OPTIONS --import).", obj.urn)
            if URL_ENV not in env:
                report(f"{what}: container {name} is not told where the hooks service is ({URL_ENV}).", obj.urn)


def _token_envs(objs: list[K8sObject], namespace: str) -> list[str]:
    """The token variables the hooks service reads, from ``service.yaml`` of the hooks ConfigMap."""
    for config_map in hooks_config(objs):
        text = get(config_map.props, "data", "service.yaml")
        if config_map.namespace != namespace or not isinstance(text, str):
            continue
        try:
            auth = get(yaml.safe_load(text), "service", "auth") or {}
        except yaml.YAMLError:
            return []
        names = [get(auth, "applicationTokenEnv")]
        names += [get(a, "tokenEnv") for a in as_list(get(auth, "approvers"))]
        names += [get(g, "tokenEnv") for g in as_list(get(auth, "approverGroups"))]
        return [str(n) for n in names if isinstance(n, str)]
    return []


def hooks_tokens_external(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    synced = external_secret_targets(objs)
    for obj, spec in brain_pods(objs):
        what = describe(obj.kind, obj.props)
        sidecar = _sidecar(spec)
        if sidecar is None:
            continue  # brain-runs-hooks-sidecar's finding
        needed = [(f"hooks sidecar {name}", _env(sidecar).get(name)) for name in _token_envs(objs, obj.namespace)]
        if not needed:
            report(f"{what}: no service.yaml names the hooks service's token variables.", obj.urn)
        needed += [
            (f"container {c.get('name')} {TOKEN_ENV}", _env(c).get(TOKEN_ENV)) for c in as_list(spec.get("containers"))
        ]
        for who, env in needed:
            ref = get(env, "valueFrom", "secretKeyRef")
            if env is None:
                report(f"{what}: {who} is not set.", obj.urn)
            elif not isinstance(ref, Mapping):
                report(f"{what}: {who} is not read from a Secret (valueFrom.secretKeyRef).", obj.urn)
            elif (obj.namespace, str(ref.get("name"))) not in synced:
                report(f"{what}: {who} comes from Secret {ref.get('name')!r}, which no ExternalSecret syncs.", obj.urn)


SPECS = [
    PolicySpec(
        name="brain-runs-hooks-sidecar",
        kind="stack",
        description="Every brain pod runs the hooks service as a native sidecar with the stack's hooks ConfigMap, and "
        "every brain container loads the adapter that calls it.",
        validate=brain_runs_hooks,
        remediation="set bakerst:hooksSidecar.enabled: true (with its image in bakerst:images and its Secret in "
        "bakerst:externalSecrets.services).",
        severity=Severity.HIGH,
    ),
    PolicySpec(
        name="hooks-tokens-from-external-secrets",
        kind="stack",
        description="The hooks service's tokens (the brain's and the approvers') come from Secrets that External "
        "Secrets syncs, never from literals.",
        validate=hooks_tokens_external,
        remediation="keep the tokens in the secret store and list them under the hooks entry of "
        "bakerst:externalSecrets.services.",
        severity=Severity.HIGH,
    ),
]
