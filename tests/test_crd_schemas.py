"""Custom resources against the real Kyverno and External Secrets CRD schemas, with unknown fields rejected."""

from __future__ import annotations

import copy
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import pytest
from jsonschema import Draft7Validator

from tests.conftest import REPO_ROOT
from tests.crd_schemas import (
    CRD_DIR,
    CrdSchemas,
    UnknownKindError,
    crd_schemas,
    harden,
    known_kinds,
    validate,
)

if not CRD_DIR.is_dir():
    pytest.skip(f"CRD directory {CRD_DIR} is absent (it lives beside the repository)", allow_module_level=True)

Obj = dict[str, Any]
Path_ = tuple[str | int, ...]
DELETE = object()


@pytest.fixture(scope="module")
def schemas() -> CrdSchemas:
    return crd_schemas()


# --- valid samples -------------------------------------------------------------------------------------


def verify_images_policy() -> Obj:
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {
            "name": "verify-agent-images",
            "labels": {"app.kubernetes.io/part-of": "baker-street-hardened"},
            "annotations": {"policies.kyverno.io/title": "Verify agent image signatures"},
        },
        "spec": {
            "background": False,
            "webhookTimeoutSeconds": 30,
            "rules": [
                {
                    "name": "verify-keyless-signature",
                    "match": {"any": [{"resources": {"kinds": ["Pod"], "namespaces": ["bakerst", "bakerst-tasks"]}}]},
                    "verifyImages": [
                        {
                            "imageReferences": ["ghcr.io/baker-street/*"],
                            "failureAction": "Enforce",
                            "mutateDigest": True,
                            "verifyDigest": True,
                            "required": True,
                            "attestors": [
                                {
                                    "count": 1,
                                    "entries": [
                                        {
                                            "keyless": {
                                                "subject": "https://github.com/baker-street/*",
                                                "issuer": "https://token.actions.githubusercontent.com",
                                                "rekor": {"url": "https://rekor.sigstore.dev"},
                                            }
                                        }
                                    ],
                                }
                            ],
                        }
                    ],
                }
            ],
        },
    }


def pod_security_policy() -> Obj:
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": "pod-security-restricted"},
        "spec": {
            "background": True,
            "rules": [
                {
                    "name": "restricted",
                    "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                    "validate": {
                        "failureAction": "Enforce",
                        "podSecurity": {"level": "restricted", "version": "v1.30"},
                    },
                }
            ],
        },
    }


def pattern_policy() -> Obj:
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": "require-run-as-non-root"},
        "spec": {
            "rules": [
                {
                    "name": "run-as-non-root",
                    "match": {"all": [{"resources": {"kinds": ["Pod"], "operations": ["CREATE", "UPDATE"]}}]},
                    "exclude": {"any": [{"resources": {"namespaces": ["kube-system"]}}]},
                    "validate": {
                        "failureAction": "Audit",
                        "message": "Containers must run as non-root.",
                        # The pattern is free-form (x-kubernetes-preserve-unknown-fields): any keys are accepted.
                        "pattern": {"spec": {"=(securityContext)": {"runAsNonRoot": True}}},
                    },
                }
            ],
        },
    }


def namespaced_policy() -> Obj:
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "Policy",
        "metadata": {"name": "deny-privileged", "namespace": "bakerst-tasks"},
        "spec": {
            "rules": [
                {
                    "name": "deny-privileged",
                    "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                    "validate": {"failureAction": "Enforce", "podSecurity": {"level": "baseline", "version": "latest"}},
                }
            ]
        },
    }


def v2beta1_policy() -> Obj:
    policy = pod_security_policy()
    policy["apiVersion"] = "kyverno.io/v2beta1"
    return policy


def _store(kind: str, name: str, provider: Obj, namespace: str | None = None) -> Obj:
    metadata: Obj = {"name": name} if namespace is None else {"name": name, "namespace": namespace}
    return {"apiVersion": "external-secrets.io/v1", "kind": kind, "metadata": metadata, "spec": {"provider": provider}}


def vault_store() -> Obj:
    return _store(
        "ClusterSecretStore",
        "vault",
        {
            "vault": {
                "server": "https://vault.example.internal:8200",
                "path": "secret",
                "version": "v2",
                "auth": {
                    "kubernetes": {
                        "mountPath": "kubernetes",
                        "role": "bakerst",
                        "serviceAccountRef": {"name": "external-secrets", "namespace": "external-secrets"},
                    }
                },
            }
        },
    )


def aws_store() -> Obj:
    return _store(
        "ClusterSecretStore",
        "aws-secrets-manager",
        {
            "aws": {
                "service": "SecretsManager",
                "region": "eu-west-1",
                "auth": {"jwt": {"serviceAccountRef": {"name": "external-secrets", "namespace": "external-secrets"}}},
            }
        },
    )


def azure_store() -> Obj:
    return _store(
        "ClusterSecretStore",
        "azure-key-vault",
        {
            "azurekv": {
                "authType": "WorkloadIdentity",
                "vaultUrl": "https://bakerst.vault.azure.net",
                "tenantId": "00000000-0000-0000-0000-000000000000",
                "serviceAccountRef": {"name": "external-secrets", "namespace": "external-secrets"},
            }
        },
    )


def namespaced_vault_store() -> Obj:
    store = vault_store()
    store["kind"] = "SecretStore"
    store["metadata"]["namespace"] = "bakerst"
    return store


def external_secret() -> Obj:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "brain-api-keys", "namespace": "bakerst"},
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
            "target": {"name": "brain-api-keys", "creationPolicy": "Owner", "deletionPolicy": "Retain"},
            "data": [
                {"secretKey": "anthropic-api-key", "remoteRef": {"key": "bakerst/brain", "property": "anthropic"}},
                {"secretKey": "openai-api-key", "remoteRef": {"key": "bakerst/brain", "property": "openai"}},
            ],
        },
    }


SAMPLES: dict[str, Callable[[], Obj]] = {
    "kyverno-verify-images": verify_images_policy,
    "kyverno-pod-security": pod_security_policy,
    "kyverno-pattern": pattern_policy,
    "kyverno-namespaced-policy": namespaced_policy,
    "kyverno-v2beta1": v2beta1_policy,
    "eso-vault-kubernetes": vault_store,
    "eso-aws-secrets-manager-jwt": aws_store,
    "eso-azure-key-vault-workload-identity": azure_store,
    "eso-namespaced-secret-store": namespaced_vault_store,
    "eso-external-secret": external_secret,
}


@pytest.mark.parametrize("make", SAMPLES.values(), ids=SAMPLES.keys())
def test_valid_sample_passes(make: Callable[[], Obj]) -> None:
    assert validate(make()) == []


# --- invalid samples -----------------------------------------------------------------------------------


def _edit(obj: Obj, path: Path_, value: object) -> Obj:
    """Set (or with ``DELETE`` remove) the value at ``path`` of a copy of ``obj``."""
    edited = copy.deepcopy(obj)
    parent: Any = edited
    for part in path[:-1]:
        parent = parent[part]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return edited


_VI = ("spec", "rules", 0, "verifyImages", 0)
_VAULT = ("spec", "provider", "vault")

#: (id, sample, path, new value, the exact error lines)
INVALID: list[tuple[str, Callable[[], Obj], Path_, object, list[str]]] = [
    (
        "typo-under-spec",
        verify_images_policy,
        ("spec", "backgrond"),
        False,
        ["spec.backgrond: unknown field 'backgrond' (did you mean 'background'?)"],
    ),
    (
        "typo-in-verify-images",
        verify_images_policy,
        (*_VI, "mutateDigests"),
        True,
        ["spec.rules[0].verifyImages[0].mutateDigests: unknown field 'mutateDigests' (did you mean 'mutateDigest'?)"],
    ),
    (
        "typo-in-keyless-attestor",
        verify_images_policy,
        (*_VI, "attestors", 0, "entries", 0, "keyless", "subjects"),
        "x",
        [
            "spec.rules[0].verifyImages[0].attestors[0].entries[0].keyless.subjects:"
            " unknown field 'subjects' (did you mean 'subject'?)"
        ],
    ),
    (
        "typo-at-top-level",
        external_secret,
        ("sepc",),
        {},
        ["sepc: unknown field 'sepc' (did you mean 'spec'?)"],
    ),
    (
        "bad-verify-images-failure-action",
        verify_images_policy,
        (*_VI, "failureAction"),
        "Block",
        ["spec.rules[0].verifyImages[0].failureAction: 'Block' is not one of 'Audit', 'Enforce'"],
    ),
    (
        "bad-validate-failure-action",
        pod_security_policy,
        ("spec", "rules", 0, "validate", "failureAction"),
        "Block",
        ["spec.rules[0].validate.failureAction: 'Block' is not one of 'Audit', 'Enforce'"],
    ),
    (
        "unknown-pod-security-version",
        pod_security_policy,
        ("spec", "rules", 0, "validate", "podSecurity", "version"),
        "v1.99",
        [
            "spec.rules[0].validate.podSecurity.version: 'v1.99' is not one of 'v1.19', 'v1.20', 'v1.21', 'v1.22',"
            " 'v1.23', 'v1.24', 'v1.25', 'v1.26', 'v1.27', 'v1.28', 'v1.29', 'v1.30', 'v1.31', 'v1.32', 'latest'"
        ],
    ),
    (
        "rule-without-match",
        pattern_policy,
        ("spec", "rules", 0, "match"),
        DELETE,
        ["spec.rules[0]: missing required field 'match'"],
    ),
    (
        "match-any-and-all",
        pattern_policy,
        ("spec", "rules", 0, "match", "any"),
        [{"resources": {"kinds": ["Pod"]}}],
        ["spec.rules[0].match: fields 'any' and 'all' are mutually exclusive"],
    ),
    (
        "context-with-two-sources",
        pattern_policy,
        ("spec", "rules", 0, "context"),
        [{"name": "tier", "variable": {"value": "gold"}, "configMap": {"name": "tiers", "namespace": "bakerst"}}],
        [
            "spec.rules[0].context[0]: exactly one of these must be set:"
            " configMap | apiCall | imageRegistry | variable | globalReference"
        ],
    ),
    (
        "namespace-on-cluster-policy",
        verify_images_policy,
        ("metadata", "namespace"),
        "bakerst",
        [
            "metadata.namespace: ClusterPolicy is cluster-scoped (clusterpolicies.kyverno.io),"
            " so metadata.namespace must not be set"
        ],
    ),
    (
        "namespace-on-cluster-secret-store",
        vault_store,
        ("metadata", "namespace"),
        "bakerst",
        [
            "metadata.namespace: ClusterSecretStore is cluster-scoped (clustersecretstores.external-secrets.io),"
            " so metadata.namespace must not be set"
        ],
    ),
    (
        "vault-without-server",
        vault_store,
        (*_VAULT, "server"),
        DELETE,
        ["spec.provider.vault: missing required field 'server'"],
    ),
    (
        "vault-bad-version",
        vault_store,
        (*_VAULT, "version"),
        "v3",
        ["spec.provider.vault.version: 'v3' is not one of 'v1', 'v2'"],
    ),
    (
        "vault-ca-bundle-not-base64",
        vault_store,
        (*_VAULT, "caBundle"),
        "-----BEGIN CERTIFICATE-----",
        ["spec.provider.vault.caBundle: '-----BEGIN CERTIFICATE-----' is not a valid 'byte' value"],
    ),
    (
        "aws-without-region",
        aws_store,
        ("spec", "provider", "aws", "region"),
        DELETE,
        ["spec.provider.aws: missing required field 'region'"],
    ),
    (
        "aws-service-account-ref-typo",
        aws_store,
        ("spec", "provider", "aws", "auth", "jwt", "serviceAccountRef", "namepsace"),
        "x",
        [
            "spec.provider.aws.auth.jwt.serviceAccountRef.namepsace:"
            " unknown field 'namepsace' (did you mean 'namespace'?)"
        ],
    ),
    (
        "azure-bad-auth-type",
        azure_store,
        ("spec", "provider", "azurekv", "authType"),
        "Workload",
        [
            "spec.provider.azurekv.authType: 'Workload' is not one of"
            " 'ServicePrincipal', 'ManagedIdentity', 'WorkloadIdentity'"
        ],
    ),
    (
        "two-providers",
        vault_store,
        ("spec", "provider", "aws"),
        aws_store()["spec"]["provider"]["aws"],
        ["spec.provider: must set at most 1 field(s), got 2: 'vault', 'aws'"],
    ),
    (
        "integer-where-string-required",
        external_secret,
        ("spec", "refreshInterval"),
        3600,
        ["spec.refreshInterval: expected string, got integer 3600"],
    ),
    (
        "null-where-not-nullable",
        external_secret,
        ("spec", "target", "name"),
        None,
        ["spec.target.name: expected string, got null None"],
    ),
    (
        "bad-store-ref-kind",
        external_secret,
        ("spec", "secretStoreRef", "kind"),
        "Vault",
        ["spec.secretStoreRef.kind: 'Vault' is not one of 'SecretStore', 'ClusterSecretStore'"],
    ),
    (
        "bad-creation-policy",
        external_secret,
        ("spec", "target", "creationPolicy"),
        "Always",
        ["spec.target.creationPolicy: 'Always' is not one of 'Owner', 'Orphan', 'Merge', 'None', 'CreateOrMerge'"],
    ),
    (
        "remote-ref-without-key",
        external_secret,
        ("spec", "data", 1, "remoteRef", "key"),
        DELETE,
        ["spec.data[1].remoteRef: missing required field 'key'"],
    ),
    (
        "metadata-without-name",
        external_secret,
        ("metadata", "name"),
        DELETE,
        ["metadata: missing required field 'name'"],
    ),
    (
        "metadata-name-not-dns",
        external_secret,
        ("metadata", "name"),
        "Brain_Keys",
        [
            "metadata.name: 'Brain_Keys' must be a DNS subdomain:"
            " lowercase alphanumerics, '-' and '.', at most 253 characters"
        ],
    ),
    (
        "metadata-unknown-field",
        external_secret,
        ("metadata", "lables"),
        {},
        ["metadata.lables: unknown field 'lables' (did you mean 'labels'?)"],
    ),
    (
        "metadata-bad-label-key",
        external_secret,
        ("metadata", "labels"),
        {"bad key": "x"},
        [
            "metadata.labels[\"bad key\"]: invalid key 'bad key': label keys must be a qualified name:"
            " an optional DNS-subdomain prefix and '/', then 1-63 alphanumerics, '-', '_' or '.'"
            " starting and ending with an alphanumeric"
        ],
    ),
    (
        "metadata-integer-label-value",
        external_secret,
        ("metadata", "labels"),
        {"app.kubernetes.io/version": 2},
        ['metadata.labels["app.kubernetes.io/version"]: expected string, got integer 2'],
    ),
]


@pytest.mark.parametrize(
    ("make", "path", "value", "expected"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid_sample_fails_with_a_useful_message(
    make: Callable[[], Obj], path: Path_, value: object, expected: list[str]
) -> None:
    assert validate(_edit(make(), path, value)) == expected


def test_every_error_is_reported_not_only_the_first() -> None:
    store = _edit(vault_store(), (*_VAULT, "server"), DELETE)
    store = _edit(store, (*_VAULT, "sever"), "https://vault.example.internal:8200")
    store = _edit(store, (*_VAULT, "auth", "kubernetes", "role"), 7)
    store = _edit(store, ("metadata", "namespace"), "bakerst")
    assert validate(store) == [
        "metadata.namespace: ClusterSecretStore is cluster-scoped (clustersecretstores.external-secrets.io),"
        " so metadata.namespace must not be set",
        "spec.provider.vault: missing required field 'server'",
        "spec.provider.vault.auth.kubernetes.role: expected string, got integer 7",
        "spec.provider.vault.sever: unknown field 'sever' (did you mean 'server'?)",
    ]


# --- unknown and unserved kinds ------------------------------------------------------------------------


def test_deprecated_v1beta1_is_reported_as_not_served() -> None:
    secret = _edit(external_secret(), ("apiVersion",), "external-secrets.io/v1beta1")
    with pytest.raises(UnknownKindError, match=r"v1beta1 ExternalSecret is not served") as raised:
        validate(secret)
    assert isinstance(raised.value, KeyError)
    assert "served: external-secrets.io/v1" in str(raised.value)


@pytest.mark.parametrize(
    ("api_version", "kind", "message"),
    [
        ("apps/v1", "Deployment", "no CRD schema for apps/v1 Deployment"),
        ("kyverno.io/v1", "ClusterPolicyy", "no CRD schema for kyverno.io/v1 ClusterPolicyy"),
        ("kyverno.io/v9", "ClusterPolicy", "served: kyverno.io/v1, kyverno.io/v2beta1"),
        (None, "ClusterPolicy", "object needs string apiVersion and kind"),
    ],
)
def test_unknown_kind_raises(api_version: str | None, kind: str, message: str) -> None:
    with pytest.raises(UnknownKindError, match=message):
        validate({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}})


def test_known_kinds_are_exactly_the_served_versions() -> None:
    assert known_kinds() == {
        ("kyverno.io/v1", "ClusterPolicy"),
        ("kyverno.io/v2beta1", "ClusterPolicy"),
        ("kyverno.io/v1", "Policy"),
        ("kyverno.io/v2beta1", "Policy"),
        ("external-secrets.io/v1", "ClusterSecretStore"),
        ("external-secrets.io/v1", "SecretStore"),
        ("external-secrets.io/v1", "ExternalSecret"),
        ("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy"),
        ("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy"),
    }


def test_scope_and_storage_come_from_the_crds(schemas: CrdSchemas) -> None:
    assert schemas.lookup("kyverno.io/v1", "ClusterPolicy").cluster_scoped
    assert not schemas.lookup("kyverno.io/v1", "Policy").cluster_scoped
    assert not schemas.lookup("external-secrets.io/v1", "ExternalSecret").cluster_scoped
    assert schemas.lookup("kyverno.io/v1", "ClusterPolicy").storage
    assert not schemas.lookup("kyverno.io/v2beta1", "ClusterPolicy").storage


# --- OpenAPI quirks and hardening ----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "ok"), [(300, True), ("5m", True), (True, False), ([300], False)])
def test_int_or_string_accepts_integer_or_string(value: object, ok: bool) -> None:
    errors = validate(_edit(vault_store(), ("spec", "refreshInterval"), value))
    assert (errors == []) is ok
    if not ok:
        assert errors[0].startswith("spec.refreshInterval: expected integer or string, got")


def test_nullable_accepts_null() -> None:
    secret = _edit(external_secret(), ("status",), {"refreshTime": None})
    assert validate(secret) == []
    secret = _edit(secret, ("status", "refreshTime"), "2026-08-20T10:00:00Z")
    assert validate(secret) == []
    assert validate(_edit(secret, ("status", "refreshTime"), "yesterday")) == [
        "status.refreshTime: 'yesterday' is not a valid 'date-time' value"
    ]


def test_required_field_with_a_default_may_be_omitted() -> None:
    # vault.auth.kubernetes requires mountPath, which defaults to "kubernetes": the API server fills it in.
    store = _edit(vault_store(), (*_VAULT, "auth", "kubernetes", "mountPath"), DELETE)
    assert validate(store) == []
    assert validate(_edit(store, (*_VAULT, "auth", "kubernetes", "role"), DELETE)) == [
        "spec.provider.vault.auth.kubernetes: missing required field 'role'"
    ]


def test_harden_rules() -> None:
    schema = {
        "type": "object",
        "description": "dropped",
        "required": ["a", "b"],
        "properties": {
            "a": {"type": "string", "default": "x"},
            "b": {"type": "string", "nullable": True, "enum": ["on", "off"]},
            "description": {"type": "object", "properties": {"c": {"type": "integer"}}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"d": {}}},
            "map": {"type": "object", "additionalProperties": {"type": "string"}},
            "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
        },
        "default": {"type": "object", "properties": {}},
    }
    hardened = harden(schema)
    assert hardened["additionalProperties"] is False
    assert "description" not in hardened
    assert hardened["required"] == ["b"]
    assert hardened["properties"]["a"] == {"type": "string", "default": "x"}
    assert hardened["properties"]["b"] == {"type": ["string", "null"], "nullable": True, "enum": ["on", "off", None]}
    assert hardened["properties"]["description"]["additionalProperties"] is False  # a field, not a description
    assert "additionalProperties" not in hardened["properties"]["free"]
    assert hardened["properties"]["map"]["additionalProperties"] == {"type": "string"}
    assert hardened["properties"]["port"] == {"x-kubernetes-int-or-string": True, "type": ["integer", "string"]}
    assert hardened["default"] == {"type": "object", "properties": {}}  # values are never rewritten
    assert "additionalProperties" not in schema  # the input is not modified


def test_preserve_unknown_fields_nodes_stay_open() -> None:
    policy = pattern_policy()
    rule = policy["spec"]["rules"][0]
    rule["validate"]["foreach"] = [
        {"list": "request.object.spec.containers", "preconditions": {"any": [], "vendorExtension": 1}, "deny": {}}
    ]
    assert validate(policy) == []


@pytest.mark.parametrize("kind", sorted(known_kinds()), ids=lambda k: f"{k[0]}-{k[1]}")
def test_hardened_schema_is_a_valid_draft7_schema(schemas: CrdSchemas, kind: tuple[str, str]) -> None:
    served = schemas.lookup(*kind)
    Draft7Validator.check_schema(served.schema)
    assert served.schema["properties"]["spec"]["additionalProperties"] is False
    assert served.schema["properties"]["metadata"] == {"type": "object"}


# --- input handling and loading ------------------------------------------------------------------------


def test_validate_does_not_modify_its_input_and_accepts_any_mapping_or_sequence() -> None:
    policy = verify_images_policy()
    before = copy.deepcopy(policy)
    assert validate(policy) == []
    assert policy == before
    frozen = MappingProxyType({**policy, "spec": {**policy["spec"], "rules": tuple(policy["spec"]["rules"])}})
    assert validate(frozen) == []


def test_crds_are_loaded_once_and_live_outside_the_repository() -> None:
    assert crd_schemas() is crd_schemas()
    assert not CRD_DIR.is_relative_to(REPO_ROOT)
