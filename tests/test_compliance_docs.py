"""The compliance documents are generated from the control table and the pack: they must not drift, every control
must be enforced by a policy that exists, every policy must belong to a control, every threat must be answered."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bakerst_hardened import compliance_docs
from policies.catalog import catalog, load_catalog
from policies.pack import SPECS

DOCS = compliance_docs.DOCS_DIR


def test_docs_match_the_control_table() -> None:
    for path, content in compliance_docs.rendered(DOCS, catalog()).items():
        assert path.read_text(encoding="utf-8") == content, (
            f"{path.name} is out of date: run python -m bakerst_hardened.compliance_docs"
        )


def test_check_mode_fails_on_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "compliance"
    shutil.copytree(DOCS, docs)
    assert compliance_docs.main(["--check", "--docs-dir", str(docs)]) == 0
    inventory = docs / "controls-inventory.md"
    inventory.write_text(inventory.read_text().replace("CC6.6", "CC9.9"))
    assert compliance_docs.main(["--check", "--docs-dir", str(docs)]) == 1
    assert "controls-inventory.md: out of date" in capsys.readouterr().err
    assert compliance_docs.main(["--docs-dir", str(docs)]) == 0  # regenerates
    assert compliance_docs.main(["--check", "--docs-dir", str(docs)]) == 0


def test_every_control_is_enforced_by_an_existing_policy() -> None:
    pack = {s.name for s in SPECS}
    for control in catalog().controls:
        assert control.policies, f"{control.id} has no policy"
        assert set(control.policies) <= pack, f"{control.id} names policies the pack lacks"


def test_every_policy_enforces_a_control() -> None:
    assert {s.name for s in SPECS} == set(catalog().policy_names())


def test_the_seed_rows_are_all_there() -> None:
    titles = {c.title for c in catalog().controls}
    seed = {"Network isolation", "Pod security", "Audit logging", "Secret management", "Image signing and provenance",
            "RBAC least privilege", "Rate limiting", "Cost governance", "SBOM", "Resource quotas"}  # fmt: skip
    assert seed <= titles
    for control in catalog().controls:
        assert control.soc2 and control.iso27001
        assert all(item.benchmark == "1.12" for item in control.cis), "record the CIS version with every ID"


def test_every_threat_is_mitigated_and_the_seed_threats_are_present() -> None:
    table = catalog()
    for threat in table.threats:
        assert table.controls_for_threat(threat.id), f"{threat.id} has no control"
    assert sum(t.seed for t in table.threats) == 10  # the seed's ten threat rows


def test_a_control_without_a_policy_is_rejected(tmp_path: Path) -> None:
    text = (compliance_docs.DOCS_DIR.parent.parent / "policies" / "controls.yaml").read_text()
    broken = tmp_path / "controls.yaml"
    broken.write_text(text.replace("policies: [budgets-sane]", "policies: []"))
    with pytest.raises(ValueError, match="policies"):
        load_catalog(broken)


def test_the_threat_model_keeps_its_prose() -> None:
    text = (DOCS / "threat-model.md").read_text()
    assert text.startswith("# Threat model (STRIDE)")
    assert compliance_docs.BEGIN in text and compliance_docs.END in text
    assert "## Residual risks" in text
