"""The pack as the engine sees it: metadata through the real analyzer servicer, the pack's entry point, and the
offline runner's config handling (same semantics as ``--policy-pack-config``)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from policies.catalog import catalog
from policies.offline import PolicyConfigError, PolicyInput, resolve_config, run_pack
from policies.pack import PACK_NAME, SPECS, policies, spec_named
from tests.conftest import REPO_ROOT
from tests.policies import fixtures as fx
from tests.policies.harness import TYPES, urn

PACK_DIR = REPO_ROOT / "policies"


def _servicer(initial_config: dict[str, Any] | None = None) -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer(PACK_NAME, "0.1.0", policies(), EnforcementLevel.ADVISORY, initial_config)  # type: ignore[arg-type]


def test_analyzer_info_carries_framework_severity_tags_and_remediation() -> None:
    info = _servicer().GetAnalyzerInfo(None, None)  # type: ignore[no-untyped-call]
    assert info.name == PACK_NAME
    assert [p.name for p in info.policies] == catalog().policy_names()
    for policy in info.policies:
        controls = catalog().controls_of_policy(policy.name)
        assert policy.framework.name and policy.framework.reference, policy.name
        assert policy.remediation_steps, policy.name
        for control in controls:
            assert f"control:{control.id}" in policy.tags
            assert {f"soc2:{c}" for c in control.soc2} <= set(policy.tags)
            assert {f"iso27001-2022:{c.id}" for c in control.iso27001} <= set(policy.tags)
            assert {f"iso27001-2013:{w}" for c in control.iso27001 for w in c.was} <= set(policy.tags)
            assert {c.tag for c in control.cis} <= set(policy.tags)  # cis-<benchmark version>:<id>
        assert all(c.id in policy.description for c in controls)


def _analyze(servicer: _PolicyAnalyzerServicer, obj: dict[str, Any]) -> list[Any]:
    props = struct_pb2.Struct()
    props.update(obj)
    kind = obj["kind"]
    request = analyzer_pb2.AnalyzeRequest(
        type=TYPES[kind], properties=props, urn=urn(kind, obj["metadata"]["name"]), name=obj["metadata"]["name"]
    )
    return list(servicer.Analyze(request, None).diagnostics)  # type: ignore[no-untyped-call]


def test_the_engine_path_reports_mandatory_violations_and_honours_pack_config() -> None:
    baseline = fx.namespace(level="baseline")
    diagnostics = _analyze(_servicer(), baseline)
    assert [d.policyName for d in diagnostics] == ["namespace-pod-security-enforced"]
    assert diagnostics[0].enforcementLevel == analyzer_pb2.MANDATORY
    relaxed = _servicer()
    relaxed.Configure(_configure(analyzer_pb2.MANDATORY, {"level": "baseline"}), None)  # type: ignore[no-untyped-call]
    assert _analyze(relaxed, baseline) == []
    advisory = _servicer()
    advisory.Configure(_configure(analyzer_pb2.ADVISORY, {}), None)  # type: ignore[no-untyped-call]
    assert [d.enforcementLevel for d in _analyze(advisory, baseline)] == [analyzer_pb2.ADVISORY]


def _configure(level: int, properties: dict[str, Any]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    """What the engine sends for ``--policy-pack-config`` (defaults from the schema already applied)."""
    props = struct_pb2.Struct()
    props.update({**spec_named("namespace-pod-security-enforced").defaults(), **properties})
    config = analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=props)  # type: ignore[arg-type]
    return analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={"namespace-pod-security-enforced": config})


def test_main_only_builds_the_pack() -> None:
    """PolicyPack() starts a gRPC server and never returns: it must stay alone in __main__.py."""
    tree = ast.parse((PACK_DIR / "__main__.py").read_text())
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert calls.count("PolicyPack") == 1
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    assert defs == [], "policies belong in importable modules, not in __main__.py"


def test_pack_files_are_a_real_python_pack() -> None:
    manifest = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    requirements = (PACK_DIR / "requirements.in").read_text().split()
    assert any(r.startswith("pulumi-policy==") for r in requirements)
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    for requirement in requirements:  # the pack pins what the project pins
        assert f'"{requirement}"' in pyproject, requirement


def test_policy_names_are_unique_and_valid() -> None:
    names = [s.name for s in SPECS]
    assert len(names) == len(set(names))
    assert all(name != "all" and name.replace("-", "").isalnum() for name in names)


@pytest.mark.parametrize("stack", ["enterprise", "dev"])
def test_stack_policy_config_files_are_valid(stack: str) -> None:
    config = json.loads((PACK_DIR / "config" / f"{stack}.json").read_text())
    run_pack([], config, config_source=f"{stack}.json")  # raises on any unknown policy or bad setting


@pytest.mark.parametrize(
    ("policy", "raw", "message"),
    [
        ("budgets-sane", {"maxDailyUsd": "lots"}, "budgets-sane.maxDailyUsd: 'lots' is not of type"),
        ("budgets-sane", {"maxDayUsd": 10}, "budgets-sane.maxDayUsd: unknown setting (known: enforcementLevel, "),
        ("budgets-sane", "blocking", "budgets-sane.enforcementLevel: 'blocking' is not one of advisory, mandatory"),
        ("task-egress-nats-dns-only", {"dnsPort": "53"}, "task-egress-nats-dns-only.dnsPort: '53' is not of type"),
    ],
)
def test_bad_policy_config_names_the_policy_and_field(policy: str, raw: Any, message: str) -> None:
    with pytest.raises(PolicyConfigError, match=r"^stack\.json: ") as excinfo:
        resolve_config(spec_named(policy), raw, "stack.json")
    assert message in str(excinfo.value)


def test_unknown_policy_in_config_is_an_error() -> None:
    with pytest.raises(PolicyConfigError, match="unknown policies budget-sane"):
        run_pack([], {"budget-sane": "advisory"})


def test_disabled_policies_do_not_run_and_a_crashing_policy_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    stack = fx.compliant_stack()
    stack[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "baseline"
    inputs = [PolicyInput(TYPES[o["kind"]], f"r{i}", o, urn(o["kind"], f"r{i}")) for i, o in enumerate(stack)]
    report = run_pack(inputs, {"namespace-pod-security-enforced": "disabled"})
    assert report.ok and report.outcome("namespace-pod-security-enforced").violations == []

    import policies.rules.runtime as runtime_rules

    def boom(args: Any, report: Any) -> None:
        raise RuntimeError("bug in a policy")

    broken = [s if s.name != "budgets-sane" else type(s)(**{**s.__dict__, "validate": boom}) for s in SPECS]
    monkeypatch.setattr(runtime_rules, "budgets", boom)
    report = run_pack(inputs, {}, specs=broken)
    outcome = report.outcome("budgets-sane")
    assert (
        not report.ok and "policy budgets-sane failed: RuntimeError: bug in a policy" in outcome.violations[0].message
    )


def test_report_is_json_serialisable_and_names_resources() -> None:
    stack = fx.compliant_stack()
    stack[6]["spec"]["template"]["spec"]["hostNetwork"] = True
    inputs = [PolicyInput(TYPES[o["kind"]], f"r{i}", o, urn(o["kind"], f"r{i}")) for i, o in enumerate(stack)]
    report = run_pack(inputs)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["ok"] is False and data["mandatoryViolations"] == 1
    failed = [r for r in data["results"] if not r["passed"]]
    assert [r["policy"] for r in failed] == ["pod-no-host-access"]
    assert failed[0]["violations"][0]["resource"] == "kubernetes:apps/v1:Deployment::r6"
    assert failed[0]["controls"] == ["BSH-PSS-01"]


def test_yaml_paths_in_the_table_exist() -> None:
    assert (REPO_ROOT / "policies" / "controls.yaml").is_file()
    assert Path(catalog.__module__.replace(".", "/") + ".py").name == "catalog.py"


def _analyze_stack(stack: list[dict[str, Any]]) -> list[Any]:
    """The engine's stack analysis: protobuf Structs in (numbers become floats), proxied props for the policies."""
    resources = []
    for index, obj in enumerate(stack):
        props = struct_pb2.Struct()
        props.update(obj)
        name = f"r{index}"
        resources.append(
            analyzer_pb2.AnalyzerResource(
                type=TYPES[obj["kind"]], properties=props, urn=urn(obj["kind"], name), name=name
            )
        )
    request = analyzer_pb2.AnalyzeStackRequest(resources=resources)
    return list(_servicer().AnalyzeStack(request, None).diagnostics)  # type: ignore[no-untyped-call]


def test_the_engine_path_runs_stack_policies_over_proxied_props() -> None:
    assert _analyze_stack(fx.compliant_stack()) == []
    weakened = fx.compliant_stack()
    weakened[4]["spec"]["egress"][0]["ports"][0]["port"] = 443  # task egress to HTTPS
    weakened[12]["spec"]["hard"].pop("pods")  # quota without a pod ceiling
    names = sorted(d.policyName for d in _analyze_stack(weakened))
    assert names == ["task-egress-nats-dns-only", "task-namespace-quota"]


def test_an_unknown_value_in_preview_does_not_silence_a_stack_policy() -> None:
    """During `pulumi preview` a value may still be unknown: that object waits for `pulumi up`, the rest is judged."""
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    stack = fx.compliant_stack()
    unknown_labels = fx.hooks_config()
    unknown_labels["metadata"] = {"name": "other", "namespace": fx.APP_NS, "labels": {"team": UNKNOWN_STRING_VALUE}}
    unknown_image = fx.deployment("pending")
    unknown_image["spec"]["template"]["spec"]["containers"][0]["image"] = UNKNOWN_STRING_VALUE
    evil = fx.deployment("miner", image="docker.io/evil/miner:latest")
    stack += [unknown_labels, unknown_image, evil]
    find_map = next(o for o in stack if o["metadata"]["name"] == "bakerst-hooks")
    find_map["data"]["audit.yaml"] = yaml.safe_dump({**fx.AUDIT, "tamperEvidence": False})
    diagnostics = _analyze_stack(stack)
    by_policy = {d.policyName: d.enforcementLevel for d in diagnostics}
    assert by_policy.get("audit-remote-tamper-evident") == analyzer_pb2.MANDATORY
    assert by_policy.get("image-registry-allowed") == analyzer_pb2.MANDATORY  # the miner is still judged
    assert by_policy.get("image-signature-verified") == analyzer_pb2.MANDATORY


def test_unknown_values_neither_hide_nor_invent_violations() -> None:
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    stack = fx.compliant_stack()
    stack[3]["metadata"]["annotations"] = {"note": UNKNOWN_STRING_VALUE}  # the task default-deny
    stack[1]["metadata"]["labels"]["team"] = UNKNOWN_STRING_VALUE  # the task Namespace
    assert _analyze_stack(stack) == []
    open_egress = fx.network_policy("open", fx.TASK_NS, {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]})
    open_egress["metadata"]["annotations"] = {"note": UNKNOWN_STRING_VALUE}
    assert {d.policyName for d in _analyze_stack([*stack, open_egress])} == {"task-egress-nats-dns-only"}
