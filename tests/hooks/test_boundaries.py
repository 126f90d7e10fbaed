"""Architecture rules for hooks/: no Pulumi, no ../shared at run time, and a no-op import that costs nothing."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

HOOKS = Path(__file__).resolve().parents[2] / "hooks"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_in_hooks_imports_pulumi_or_the_stack_components() -> None:
    offenders = {
        str(path.relative_to(HOOKS)): sorted(
            _imports(path) & {"pulumi", "pulumi_kubernetes", "pulumi_policy", "components", "bakerst_hardened"}
        )
        for path in HOOKS.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_module_in_hooks_reads_the_shared_material() -> None:
    assert [p for p in HOOKS.rglob("*.py") if "../shared" in p.read_text(encoding="utf-8")] == []


def test_importing_the_seams_loads_nothing_heavy() -> None:
    code = (
        "import sys, hooks; "
        "from hooks import NoopGuardrailHook, NoopAuditSink, GuardrailContext; "
        "heavy = [m for m in ('pulumi', 'pydantic', 'jsonschema', 'httpx', 'yaml') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
