"""The Automation API deployer with the real Pulumi CLI (from ``scripts/tools``) on a tiny local project and a file
backend: ``up`` records the digests in ``bakerst:images``; ``preview`` (the dry run) leaves the stack file byte for
byte as it was and creates no stack. No cluster needed: the program only exports what it was given."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from bakerst_hardened.deploy.deployer import AutomationDeployer
from bakerst_hardened.deploy.stages import StageFailed
from bakerst_hardened.deploy.tools import find_tool
from tests.deploy.tooling import require_real_clock

pytestmark = [pytest.mark.supply_chain, pytest.mark.slow]

PROGRAM = """
import json
import pulumi
pulumi.export("images", json.loads(pulumi.Config("bakerst").require("images")))
"""


def _ref(char: str) -> str:
    return "registry.example/bakerst/app@sha256:" + char * 64


@pytest.fixture
def deployer(tmp_path: Path, pytestconfig: pytest.Config) -> tuple[AutomationDeployer, Path]:
    require_real_clock(pytestconfig)
    cli = find_tool("pulumi")
    if cli is None or not (cli.parent / "pulumi-language-python").is_file():
        pytest.skip("the Pulumi CLI and its Python language host are not built (`scripts/tools build pulumi`)")
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        yaml.safe_dump({"name": "deploytest", "runtime": {"name": "python", "options": {"virtualenv": sys.prefix}}})
    )
    (project / "__main__.py").write_text(PROGRAM)
    (project / "Pulumi.dev.yaml").write_text(
        yaml.safe_dump({"config": {"bakerst:images": json.dumps({"app:1": _ref("a")})}})
    )
    (tmp_path / "backend").mkdir()
    env = {
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'backend'}",
        "PULUMI_CONFIG_PASSPHRASE": "test-only",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PATH": os.pathsep.join([str(cli.parent), os.environ.get("PATH", "")]),
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
    }
    return AutomationDeployer(project, env=env), project


def test_dry_run_creates_no_stack(deployer: tuple[AutomationDeployer, Path]) -> None:
    auto_deployer, project = deployer
    before = (project / "Pulumi.dev.yaml").read_bytes()
    with pytest.raises(StageFailed, match="does not exist in the backend and a dry run creates nothing"):
        auto_deployer.preview("dev", {"app:1": _ref("b")})
    assert (project / "Pulumi.dev.yaml").read_bytes() == before


def test_up_records_the_digests_and_preview_changes_nothing(deployer: tuple[AutomationDeployer, Path]) -> None:
    auto_deployer, project = deployer
    assert "up:" in auto_deployer.up("dev", {"app:1": _ref("c")})
    config = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())["config"]
    assert json.loads(config["bakerst:images"]) == {"app:1": _ref("c")}
    before = (project / "Pulumi.dev.yaml").read_bytes()
    summary = auto_deployer.preview("dev", {"app:1": _ref("d")})
    assert summary.startswith("preview: {"), summary
    assert (project / "Pulumi.dev.yaml").read_bytes() == before


ORDERED_PROGRAM = """
import pulumi

class Component(pulumi.ComponentResource):
    def __init__(self, kind, name):
        super().__init__(kind, name, {}, None)
        self.register_outputs({})

Component("bakerst:admission:AdmissionPolicies", "admission")
Component("bakerst:secrets:ExternalSecrets", "secrets")
Component("bakerst:app:BakerStreetApp", "app")
pulumi.export("images", pulumi.Config("bakerst").require("images"))
"""


def test_admission_and_secrets_are_deployed_first(deployer: tuple[AutomationDeployer, Path]) -> None:
    """Two updates on the first deploy: the Kyverno and ESO components alone, then the rest."""
    from pulumi import automation as auto

    auto_deployer, project = deployer
    (project / "__main__.py").write_text(ORDERED_PROGRAM)
    auto_deployer.up("dev", {"app:1": _ref("e")})
    stack = auto.select_stack(
        stack_name="dev",
        work_dir=str(project),
        opts=auto.LocalWorkspaceOptions(
            env_vars=dict(auto_deployer.env),
            pulumi_command=auto.PulumiCommand(root=str(Path(auto_deployer.env["PATH"].split(os.pathsep)[0]).parent)),
        ),
    )
    updates = list(reversed(stack.history()))  # the history lists the newest first
    assert [u.kind for u in updates] == ["update", "update"]
    # The targeted update creates the stack and the two components (the app, not targeted, is left as it is) ...
    assert (updates[0].resource_changes or {})[auto.OpType.CREATE] == 3
    # ... and only then the rest: the app.
    assert updates[1].resource_changes == {"create": 1, "same": 3}
