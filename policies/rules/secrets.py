"""Secret management (BSH-SEC-01): no literal secrets in the stack; every secret a workload consumes comes
from an ExternalSecret (Vault / AWS Secrets Manager / Azure Key Vault)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, Severity

from policies.k8s import as_list, container_label, containers, describe, get, kind_of, pod_spec, workload_of
from policies.rules._objects import K8sObject, external_secret_targets, objects, of_kind
from policies.spec import PolicySpec

#: Variable names that announce a credential (matched on word boundaries of the upper-cased name).
_SECRET_NAME = re.compile(
    r"(?:^|_)(?:PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|"
    r"CLIENT_SECRET|AUTH_TOKEN|BEARER|DSN|CONNECTION_STRING)(?:_|$)"
)
#: Values that are credentials whatever the variable is called (anchored, bounded, backtracking-free).
_SECRET_VALUE = re.compile(
    r"AKIA[0-9A-Z]{16}|sk-[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{36}|xox[abposr]-[A-Za-z0-9-]{10,}|"
    r"-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.|"
    r"[a-z][a-z0-9+.-]{1,20}://[^/\s:@]{1,64}:[^/\s@]{3,128}@"
)
#: Name endings that describe a credential without holding one (``TOKEN_TTL``, ``SECRET_PATH``).
_NOT_A_CREDENTIAL = re.compile(
    r"_(?:PATH|FILE|DIR|HEADER|AUDIENCE|NAME|TTL|TIMEOUT|ENABLED|TYPE|URL|ENDPOINT|ISSUER|ID|LENGTH|EXPIRY|MODE)$"
)
#: Literal values that cannot be credentials: empty, a switch, a file path, a ``$(VAR)`` reference.
_HARMLESS = re.compile(
    r"^(?:|true|false|yes|no|on|off|enabled|disabled|none|/[\w./-]{0,500}|\$\([A-Z_][A-Z0-9_]*\))$", re.I
)


def credential_name(name: str) -> bool:
    upper = name.upper()
    return bool(_SECRET_NAME.search(upper)) and not _NOT_A_CREDENTIAL.search(upper)


def _env_literals(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    for list_name, container in containers(spec):
        for env in as_list(container.get("env")):
            if isinstance(env, Mapping) and isinstance(env.get("value"), str):
                yield container_label(list_name, container), str(env.get("name", "")), env["value"]


def no_literal_secrets(args: Any, report: ReportViolation) -> None:
    if kind_of(args.resource_type) != "Secret":
        return
    keys = sorted(set(args.props.get("data") or {}) | set(args.props.get("stringData") or {}))
    if keys:
        report(
            f"{describe('Secret', args.props)} carries literal data ({', '.join(keys)}) in the stack's state and "
            "manifests.",
            args.urn,
        )


def no_secret_literals_in_env(args: Any, report: ReportViolation) -> None:
    workload = workload_of(args.resource_type, args.props)
    if workload is None:
        return
    for who, name, value in _env_literals(workload.spec):
        by_name = credential_name(name) and not _HARMLESS.match(value)
        if by_name or _SECRET_VALUE.search(value):
            report(f"{workload.what} {who} sets {name} to a literal that looks like a credential.", args.urn)
    for list_name, container in containers(workload.spec):
        for field in ("command", "args"):
            if any(_SECRET_VALUE.search(str(arg)) for arg in as_list(container.get(field))):
                who = container_label(list_name, container)
                report(f"{workload.what} {who} passes a credential-looking literal in its {field}.", args.urn)


def _consumed_secrets(obj: K8sObject) -> Iterator[tuple[str, bool]]:
    """``(secret name, optional)`` for every Secret a workload reads (env, envFrom, volumes)."""
    spec = pod_spec(obj.kind, obj.props)
    if spec is None:
        return
    for _, container in containers(spec):
        for source in as_list(container.get("envFrom")):
            if isinstance(get(source, "secretRef"), Mapping):
                yield str(get(source, "secretRef", "name")), get(source, "secretRef", "optional") is True
        for env in as_list(container.get("env")):
            ref = get(env, "valueFrom", "secretKeyRef")
            if isinstance(ref, Mapping):
                yield str(ref.get("name")), ref.get("optional") is True
    for volume in as_list(spec.get("volumes")):
        if isinstance(get(volume, "secret"), Mapping):
            yield str(get(volume, "secret", "secretName")), get(volume, "secret", "optional") is True
        for source in as_list(get(volume, "projected", "sources")):
            if isinstance(get(source, "secret"), Mapping):
                yield str(get(source, "secret", "name")), get(source, "secret", "optional") is True


def secrets_from_external_secrets(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    runtime_managed = {str(s) for s in args.get_config().get("runtimeManagedSecrets", ["bakerst-secrets"])}
    synced = external_secret_targets(objs)
    cluster_synced = {  # ClusterExternalSecret: the same target in every namespace it selects
        str(get(ces.props, "spec", "externalSecretSpec", "target", "name") or ces.name)
        for ces in of_kind(objs, "ClusterExternalSecret")
    }
    for obj in objs:
        for name, _optional in _consumed_secrets(obj):
            if name in runtime_managed or (obj.namespace, name) in synced or name in cluster_synced:
                continue
            report(
                f"{describe(obj.kind, obj.props)} reads Secret {name!r}, which no ExternalSecret in namespace "
                f"{obj.namespace or '(none)'} syncs.",
                obj.urn,
            )


SPECS = [
    PolicySpec(
        name="no-literal-secrets",
        kind="resource",
        description="The stack creates no Kubernetes Secret with literal data.",
        validate=no_literal_secrets,
        remediation="store the value in the secret store and sync it with an ExternalSecret "
        "(bakerst:externalSecrets.services).",
        severity=Severity.CRITICAL,
    ),
    PolicySpec(
        name="no-secret-literals-in-env",
        kind="resource",
        description="No container sets a credential-looking literal in its environment.",
        validate=no_secret_literals_in_env,
        remediation="move the value to the secret store and reference it with envFrom.secretRef / "
        "valueFrom.secretKeyRef on an ExternalSecret target.",
        severity=Severity.CRITICAL,
    ),
    PolicySpec(
        name="secrets-from-external-secrets",
        kind="stack",
        description="Every Secret a workload consumes is synced by an ExternalSecret (or is explicitly run-time "
        "managed).",
        validate=secrets_from_external_secrets,
        remediation="add the service to bakerst:externalSecrets.services with its remote keys, or list a Secret the "
        "application itself writes in this policy's runtimeManagedSecrets config.",
        severity=Severity.HIGH,
        config={
            "runtimeManagedSecrets": {"type": "array", "items": {"type": "string"}, "default": ["bakerst-secrets"]}
        },
    ),
]
