"""The README: its first two commands, the generated config reference, the supported versions."""

from __future__ import annotations

import re

from bakerst_hardened.docgen import config_reference_markdown, splice
from components.supported import NEWEST_KUBERNETES_MINOR, OLDEST_KUBERNETES_MINOR
from tests.conftest import REPO_ROOT

README = REPO_ROOT / "README.md"


def test_readme_config_reference_matches_the_model() -> None:
    text = README.read_text()
    assert splice(text, config_reference_markdown()) == text, (
        "README's configuration reference drifted from components/stack_config.py; "
        "run `python -m bakerst_hardened.docgen`"
    )


def test_readme_opens_with_the_render_and_test_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.S)
    assert "bakerst-hardened render --stack enterprise" in blocks[0]
    assert blocks[1].strip() == "scripts/test"


def test_ci_runs_the_readme_test_command() -> None:
    assert "scripts/test" in (REPO_ROOT / ".ci" / "run").read_text()


def test_readme_states_the_supported_versions() -> None:
    match = re.search(r"<!-- supported-versions -->(.*?)<!-- /supported-versions -->", README.read_text())
    assert match is not None
    assert f"1.{OLDEST_KUBERNETES_MINOR} to 1.{NEWEST_KUBERNETES_MINOR}" in match[1]
