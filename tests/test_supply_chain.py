"""Kyverno admission policies, External Secrets, and the config errors that guard them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bakerst_hardened.recording_mocks import KubectlMissingError, RecordingMocks
from bakerst_hardened.render import RenderResult, run_program
from components.app_config import ImageSignatureConfig, SecretStoreConfig
from components.config_errors import StackConfigError
from components.config_loader import parse_stack_config
from components.external_secrets import provider_spec
from tests.conftest import BASE_DIR_OVERRIDE, REPO_ROOT, UPSTREAM_K8S, require_upstream
from tests.crd_schemas import CRD_DIR, validate

DIGEST = "sha256:" + "a" * 64


@pytest.fixture(scope="module")
def stacks() -> dict[str, RenderResult]:
    require_upstream()
    return {s: run_program(REPO_ROOT, s, config_overrides=BASE_DIR_OVERRIDE) for s in ("enterprise", "dev")}


def _kind(result: RenderResult, kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in result.manifests if m["kind"] == kind}


# ------------------------------------------------------------------------------------------------------ Kyverno


def test_four_cluster_policies_with_background_scanning(stacks: dict[str, RenderResult]) -> None:
    for result in stacks.values():
        policies = _kind(result, "ClusterPolicy")
        assert sorted(policies) == [
            "enforce-labels",
            "pod-security-restricted",
            "require-image-signature",
            "restrict-registries",
        ]
        for policy in policies.values():
            assert policy["apiVersion"] == "kyverno.io/v1"
            assert policy["spec"]["background"] is True
            assert "validationFailureAction" not in policy["spec"]  # rule-level failureAction (Kyverno >= 1.13)


@pytest.mark.parametrize(("stack", "action"), [("enterprise", "Enforce"), ("dev", "Audit")])
def test_failure_action_per_stack(stacks: dict[str, RenderResult], stack: str, action: str) -> None:
    for policy in _kind(stacks[stack], "ClusterPolicy").values():
        for rule in policy["spec"]["rules"]:
            for block in [rule.get("validate")] + (rule.get("verifyImages") or []):
                if block:
                    assert block["failureAction"] == action, policy["metadata"]["name"]


def test_image_signature_is_keyless_with_digest_mutation_and_verification(stacks: dict[str, RenderResult]) -> None:
    policy = _kind(stacks["enterprise"], "ClusterPolicy")["require-image-signature"]
    (rule,) = policy["spec"]["rules"]
    assert rule["match"] == {"any": [{"resources": {"kinds": ["Pod"], "namespaces": ["bakerst", "bakerst-tasks"]}}]}
    (verify,) = rule["verifyImages"]
    assert verify["imageReferences"] == ["registry.bakerst.internal/*"]
    assert (verify["mutateDigest"], verify["verifyDigest"], verify["required"]) == (True, True, True)
    (attestor,) = verify["attestors"]
    assert attestor["entries"] == [
        {
            "keyless": {
                "issuer": "https://token.actions.githubusercontent.com",
                "subjectRegExp": r"^https://github\.com/The-Baker-Street-Project/baker-street/\.github/workflows/"
                r".+@refs/tags/v.+$",
                "rekor": {"url": "https://rekor.sigstore.dev"},
            }
        }
    ]


def test_dev_verifies_keys_and_does_not_mutate_in_audit_mode(stacks: dict[str, RenderResult]) -> None:
    (verify,) = _kind(stacks["dev"], "ClusterPolicy")["require-image-signature"]["spec"]["rules"][0]["verifyImages"]
    assert verify["mutateDigest"] is False  # Kyverno refuses mutateDigest with Audit
    assert verify["verifyDigest"] is True and verify["required"] is True
    (entry,) = verify["attestors"][0]["entries"]
    assert entry["keys"]["publicKeys"].startswith("-----BEGIN PUBLIC KEY-----")


def test_registries_are_restricted_for_every_container_kind(stacks: dict[str, RenderResult]) -> None:
    rule = _kind(stacks["enterprise"], "ClusterPolicy")["restrict-registries"]["spec"]["rules"][0]
    assert rule["validate"]["pattern"] == {
        "spec": {
            "=(ephemeralContainers)": [{"image": "registry.bakerst.internal/*"}],
            "=(initContainers)": [{"image": "registry.bakerst.internal/*"}],
            "containers": [{"image": "registry.bakerst.internal/*"}],
        }
    }


def test_label_and_pod_security_policies(stacks: dict[str, RenderResult]) -> None:
    policies = _kind(stacks["enterprise"], "ClusterPolicy")
    labels = policies["enforce-labels"]["spec"]["rules"][0]["validate"]["pattern"]["metadata"]["labels"]
    assert labels == {
        "app.kubernetes.io/part-of": "baker-street",
        "app.kubernetes.io/managed-by": "pulumi",
        "bakerst.io/environment": "enterprise",
    }
    pss = policies["pod-security-restricted"]["spec"]["rules"][0]["validate"]["podSecurity"]
    assert pss == {"level": "restricted", "version": "v1.30"}


# ---------------------------------------------------------------------------------------------- External Secrets


def test_one_cluster_secret_store_usable_only_from_the_app_namespace(stacks: dict[str, RenderResult]) -> None:
    (store,) = _kind(stacks["enterprise"], "ClusterSecretStore").values()
    assert store["apiVersion"] == "external-secrets.io/v1"
    assert store["spec"]["conditions"] == [{"namespaces": ["bakerst"]}]
    assert store["spec"]["provider"] == {
        "vault": {
            "server": "https://vault.bakerst.internal:8200",
            "path": "secret",
            "version": "v2",
            "auth": {
                "kubernetes": {
                    "mountPath": "kubernetes",
                    "role": "bakerst-external-secrets",
                    "serviceAccountRef": {"name": "external-secrets", "namespace": "external-secrets"},
                }
            },
        }
    }
    (dev_store,) = _kind(stacks["dev"], "ClusterSecretStore").values()
    assert dev_store["spec"]["provider"] == {
        "aws": {
            "service": "SecretsManager",
            "region": "eu-west-1",
            "auth": {"jwt": {"serviceAccountRef": {"name": "external-secrets", "namespace": "external-secrets"}}},
        }
    }


def test_an_external_secret_per_consuming_service_with_explicit_remote_keys(stacks: dict[str, RenderResult]) -> None:
    secrets = _kind(stacks["enterprise"], "ExternalSecret")
    assert sorted(secrets) == [
        "bakerst-brain-secrets",
        "bakerst-gateway-secrets",
        "bakerst-hooks-secrets",  # the hooks sidecar's tokens and audit writer key
        "bakerst-worker-secrets",
    ]
    brain = secrets["bakerst-brain-secrets"]
    assert brain["apiVersion"] == "external-secrets.io/v1"
    assert brain["metadata"]["namespace"] == "bakerst"
    assert brain["spec"]["refreshInterval"] == "1h"
    assert brain["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "bakerst-secret-store"}
    assert brain["spec"]["target"]["name"] == "bakerst-brain-secrets"
    assert brain["spec"]["target"]["creationPolicy"] == "Owner"
    assert {d["secretKey"]: d["remoteRef"] for d in brain["spec"]["data"]}["ANTHROPIC_API_KEY"] == {
        "key": "bakerst/brain",
        "property": "ANTHROPIC_API_KEY",
    }


def test_the_runtime_secret_is_never_owned_by_external_secrets(stacks: dict[str, RenderResult]) -> None:
    for result in stacks.values():
        targets = [m["spec"]["target"]["name"] for m in result.manifests if m["kind"] == "ExternalSecret"]
        assert "bakerst-secrets" not in targets


def test_azure_provider_uses_workload_identity() -> None:
    store = SecretStoreConfig.model_validate(
        {
            "azure": {
                "vaultUrl": "https://bakerst.vault.azure.net",
                "serviceAccount": {"name": "eso", "namespace": "external-secrets"},
            }
        }
    )
    assert provider_spec(store) == {
        "azurekv": {
            "vaultUrl": "https://bakerst.vault.azure.net",
            "authType": "WorkloadIdentity",
            "serviceAccountRef": {"name": "eso", "namespace": "external-secrets"},
        }
    }
    obj = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ClusterSecretStore",
        "metadata": {"name": "azure"},
        "spec": {"provider": provider_spec(store)},
    }
    if CRD_DIR.is_dir():
        assert validate(obj) == []


def test_every_custom_resource_of_both_stacks_validates_against_its_crd(stacks: dict[str, RenderResult]) -> None:
    if not CRD_DIR.is_dir():
        pytest.skip(f"CRDs not found at {CRD_DIR}")
    checked = 0
    for result in stacks.values():
        for m in result.manifests:
            if m["apiVersion"].split("/")[0] in ("kyverno.io", "external-secrets.io"):
                assert validate(m) == [], (m["kind"], m["metadata"]["name"])
                checked += 1
    assert checked == 17  # + the hooks sidecar's ExternalSecret in enterprise


# ------------------------------------------------------------------------------------------------- config errors


def _enterprise_raw(**changes: Any) -> dict[str, str]:
    config = yaml.safe_load((REPO_ROOT / "Pulumi.enterprise.yaml").read_text())["config"]
    raw = {k.removeprefix("bakerst:"): v for k, v in config.items()}
    raw.update(changes)
    return {k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in raw.items()}


def _issues(raw: dict[str, str]) -> list[str]:
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config(raw)
    return [str(issue) for issue in caught.value.issues]


def test_a_tag_instead_of_a_digest_is_a_config_error() -> None:
    images = yaml.safe_load((REPO_ROOT / "Pulumi.enterprise.yaml").read_text())["config"]["bakerst:images"]
    images["bakerst-brain:latest"] = "registry.bakerst.internal/bakerst/brain:1.4.0"
    issues = _issues(_enterprise_raw(images=images))
    assert issues == [
        'bakerst:images.bakerst-brain:latest: "registry.bakerst.internal/bakerst/brain:1.4.0" is not pinned by '
        'digest (a tag can be moved); use "registry.example/repo@sha256:<64 hex>"'
    ]


def test_two_secret_providers_at_once_is_a_config_error() -> None:
    store = {
        "vault": {"server": "https://vault.example:8200", "role": "r"},
        "aws": {"region": "eu-west-1", "role": "arn:aws:iam::123456789012:role/eso"},
    }
    issues = _issues(_enterprise_raw(secretStore=store))
    assert issues == [
        'bakerst:secretStore: ["vault", "aws"] has two secret providers at once (vault, aws); '
        "choose exactly one of vault, aws, azure"
    ]


def test_a_keyless_policy_without_a_subject_is_a_config_error() -> None:
    issues = _issues(_enterprise_raw(imageSignature={"keyless": {"issuer": "https://token.example"}}))
    assert len(issues) == 1
    assert issues[0].startswith("bakerst:imageSignature.keyless: ")
    assert "needs exactly one of subject or subjectRegExp" in issues[0]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"images": {"nats:2.10-alpine": "elsewhere.example/nats@" + DIGEST}}, "not in registries"),
        ({"images": {}}, "bakerst:images: {} is empty"),
        ({"imageSignature": {"keys": {"publicKeys": ["not a key"]}}}, "is not a PEM public key"),
        ({"imageSignature": {}}, "needs exactly one of keys or keyless"),
        ({"secretStore": {}}, "has no secret provider"),
        ({"secretStore": {"aws": {"region": "eu-west-1"}}}, "needs role (an IAM role ARN) or serviceAccount"),
        (
            {
                "externalSecrets": {
                    "services": {"brain": {"targetSecret": "bakerst-secrets", "data": {"A": {"key": "k"}}}}
                }
            },
            "is rewritten by the brain at run time",
        ),
        ({"externalSecrets": {"refreshInterval": "hourly"}}, 'is not a duration, e.g. "1h"'),
        ({"registries": ["not a host"]}, "is not a registry host"),
        ({"admission": {"failureAction": "Block"}}, "'Enforce' or 'Audit'"),
    ],
)
def test_supply_chain_config_errors_name_the_key(change: dict[str, Any], fragment: str) -> None:
    issues = _issues(_enterprise_raw(**change))
    assert any(fragment in issue for issue in issues), issues


def _project(tmp_path: Path, images: dict[str, str]) -> Path:
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.enterprise.yaml"):
        (tmp_path / name).write_text((REPO_ROOT / name).read_text())
    doc = yaml.safe_load((tmp_path / "Pulumi.enterprise.yaml").read_text())
    doc["config"]["bakerst:images"] = images
    (tmp_path / "Pulumi.enterprise.yaml").write_text(yaml.safe_dump(doc))
    return tmp_path


def test_upstream_images_with_no_digest_are_listed_all_at_once_before_any_resource(tmp_path: Path) -> None:
    require_upstream()
    images = {"bakerst-brain:latest": "registry.bakerst.internal/bakerst/brain@" + DIGEST}
    mocks = RecordingMocks()
    with pytest.raises(StackConfigError) as caught:
        run_program(_project(tmp_path, images), "enterprise", mocks=mocks, config_overrides=BASE_DIR_OVERRIDE)
    (issue,) = caught.value.issues
    assert issue.key == "bakerst:images"
    assert issue.value == [
        "bakerst-gateway:latest",
        "bakerst-hardened-hooks",  # the hooks sidecar's image, in the same list
        "bakerst-sysadmin:latest",
        "bakerst-ui:latest",
        "bakerst-worker:latest",
        "nats:2.10-alpine",
        "qdrant/qdrant:v1.16.2",
    ]
    assert "lacks 7 images" in str(issue)
    assert mocks.resources == []


def test_a_missing_base_dir_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(StackConfigError, match=r"bakerst:baseDir: \"nowhere\" does not exist"):
        run_program(REPO_ROOT, "enterprise", config_overrides={"bakerst:baseDir": "nowhere"})


def test_no_kubectl_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if not UPSTREAM_K8S.is_dir():
        pytest.skip(f"upstream manifests not found at {UPSTREAM_K8S}")
    monkeypatch.setenv("PATH", str(tmp_path))  # no kubectl here
    with pytest.raises(Exception, match="kubectl is not on PATH") as caught:
        run_program(REPO_ROOT, "enterprise", config_overrides=BASE_DIR_OVERRIDE)
    assert isinstance(caught.value, KubectlMissingError) or "kubectl is not on PATH" in str(caught.value)


def test_image_signature_model_round_trip() -> None:
    keyless = ImageSignatureConfig.model_validate(
        {"keyless": {"issuer": "https://token.example", "subject": "https://ci.example/release"}}
    )
    assert keyless.keyless is not None and keyless.keyless.subject == "https://ci.example/release"
