"""Creation order: every object placed in the app namespace depends on the Namespace resource that creates it.

Against a real API server, objects registered before their namespace are refused (`namespaces "bakerst" not
found`) and only succeed on the engine's retry; a dependency makes the order explicit.
"""

from __future__ import annotations

import pytest

from bakerst_hardened.recording_mocks import RecordedResource, RecordingMocks
from bakerst_hardened.render import run_program
from tests.conftest import BASE_DIR_OVERRIDE, REPO_ROOT, require_upstream

NAMESPACE = "kubernetes:core/v1:Namespace"


def _app_namespace_objects(mocks: RecordingMocks, app_namespace: str) -> list[RecordedResource]:
    return [
        r
        for r in mocks.resources
        if r.custom
        and r.type.startswith("kubernetes:")
        and (r.inputs.get("metadata") or {}).get("namespace") == app_namespace
    ]


@pytest.mark.slow
def test_objects_in_the_app_namespace_depend_on_the_app_namespace() -> None:
    """The enterprise stack has every kind of them (ConfigMap, NATS-side NetworkPolicy, ExternalSecrets)."""
    require_upstream()
    mocks = RecordingMocks()
    result = run_program(REPO_ROOT, "enterprise", config_overrides=BASE_DIR_OVERRIDE, mocks=mocks)
    app_namespace = result.exports["appNamespace"]
    [namespace] = [r for r in mocks.resources if r.type == NAMESPACE and r.inputs["metadata"]["name"] == app_namespace]
    namespace_urn = mocks.urn_of(namespace)
    upstream_prefix = "bakerst-app"  # the upstream's own objects are ordered by the provider's kustomize support
    hardened = [r for r in _app_namespace_objects(mocks, app_namespace) if not r.name.startswith(upstream_prefix)]
    names = sorted(f"{r.inputs['kind']}/{r.inputs['metadata']['name']}" for r in hardened)
    assert f"ConfigMap/{result.exports['hooksConfigMap']}" in names, names
    assert any(n.startswith("NetworkPolicy/allow-nats-from-") for n in names), names
    assert any(n.startswith("ExternalSecret/") for n in names), names
    missing = [
        f"{r.inputs['kind']}/{r.inputs['metadata']['name']}"
        for r in hardened
        if namespace_urn not in mocks.dependencies_of(r)
    ]
    assert missing == [], f"objects in namespace {app_namespace} created without waiting for it: {missing}"


@pytest.mark.slow
def test_state_claims_are_not_ordered_after_the_brain_deployments() -> None:
    """On destroy the engine deletes a resource's dependents first. A state claim that depended on the app (and so
    on the brain Deployments) would be deleted while its pod still runs, and pvc-protection would hold it until the
    engine gave up: the claims wait for the app namespace alone, so claim and Deployment go together."""
    require_upstream()
    mocks = RecordingMocks()
    run_program(REPO_ROOT, "enterprise", config_overrides=BASE_DIR_OVERRIDE, mocks=mocks)
    claims = [r for r in mocks.resources if r.type == "kubernetes:core/v1:PersistentVolumeClaim"]
    deployments = {mocks.urn_of(r) for r in mocks.resources if r.type == "kubernetes:apps/v1:Deployment"}
    components = {mocks.urn_of(r) for r in mocks.resources if r.type.startswith("bakerst:app:")}
    assert len(claims) == 2
    # Nothing of the hardened layer in the app namespace depends on more than the namespace: the app output's own
    # resources (every upstream object) are not taken along (components.ordering.after). Under the mock monitor
    # a component's own depends_on is not recorded; the e2e destroy proves that part.
    hardened = [r for r in _app_namespace_objects(mocks, "bakerst") if not r.name.startswith("bakerst-app")]
    assert claims[0] in hardened and len(hardened) > 5
    for obj in hardened:
        assert not (set(mocks.dependencies_of(obj)) & (deployments | components)), (obj.name, obj.type)


@pytest.mark.slow
def test_brain_deployments_depend_on_their_state_claims() -> None:
    """So a destroy deletes the brain Deployments (and their pods) before the claims they mount."""
    require_upstream()
    mocks = RecordingMocks()
    run_program(REPO_ROOT, "enterprise", config_overrides=BASE_DIR_OVERRIDE, mocks=mocks)
    claims = {mocks.urn_of(r) for r in mocks.resources if r.type == "kubernetes:core/v1:PersistentVolumeClaim"}
    deployments = {
        r.inputs["metadata"]["name"]: r for r in mocks.resources if r.type == "kubernetes:apps/v1:Deployment"
    }
    for name in ("brain-blue", "brain-green"):
        assert claims <= set(mocks.dependencies_of(deployments[name])), name
    assert not claims & set(mocks.dependencies_of(deployments["gateway"]))
