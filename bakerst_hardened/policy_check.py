"""The policy pack over an offline render: turn the recorded registrations into policy inputs, pick the stack's
pack config, run every policy (``policies.offline``)."""

from __future__ import annotations

from pathlib import Path

from bakerst_hardened.recording_mocks import RecordingMocks
from bakerst_hardened.render import RenderResult
from policies.offline import PolicyInput, PolicyReport, load_policy_config, run_pack, urn_of

POLICY_CONFIG_DIR = Path("policies") / "config"
REPORT_FILE = "policy-report.json"


def policy_inputs(result: RenderResult, mocks: RecordingMocks) -> list[PolicyInput]:
    """Every registration of the render, as the engine would hand it to a policy (inputs, URN, parent)."""
    project, stack = result.settings.project, result.settings.stack
    return [
        PolicyInput(
            type=r.type,
            name=r.name,
            props=r.inputs,
            urn=urn_of(stack, project, r.type, r.name),
            parent=mocks.parent_of(r),
            custom=r.custom,
        )
        for r in mocks.resources
    ]


def stack_policy_config_path(project_dir: Path, stack: str) -> Path | None:
    """``policies/config/<stack>.json`` when it exists (the file ``--policy-pack-config`` takes in CI)."""
    path = project_dir / POLICY_CONFIG_DIR / f"{stack}.json"
    return path if path.is_file() else None


def check_render(
    result: RenderResult, mocks: RecordingMocks, project_dir: Path, config_path: Path | None = None
) -> tuple[PolicyReport, Path | None]:
    """Run the pack over a render; the config is ``config_path``, else the stack's file, else none."""
    path = config_path or stack_policy_config_path(project_dir, result.settings.stack)
    config = load_policy_config(path) if path is not None else {}
    report = run_pack(policy_inputs(result, mocks), config, config_source=str(path) if path else "policy config")
    return report, path
