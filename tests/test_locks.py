"""Frozen inputs: the project's and the policy pack's dependencies are locked with hashes, and the lock covers
every pin (``scripts/lock`` regenerates them; ``scripts/bootstrap`` installs with ``--require-hashes``)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock(path: Path) -> dict[str, tuple[str, int]]:
    """Package to (version, number of hashes) in a ``uv pip compile --generate-hashes`` file."""
    entries: dict[str, tuple[str, int]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := _PIN.match(line):
            current = _name(match[1])
            entries[current] = (match[2], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, count = entries[current]
            entries[current] = (version, count + 1)
        elif line and not line.startswith((" ", "#")):
            raise AssertionError(f"{path.name}: unexpected line {line!r}")
    return entries


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for requirement in requirements:
        match = _PIN.match(requirement.strip())
        assert match, f"not an exact pin: {requirement}"
        pins[_name(match[1])] = match[2]
    return pins


@pytest.mark.parametrize(
    ("lock", "pins"),
    [
        (
            "requirements.lock",
            lambda: {
                **_pins(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]),
                **_pins(
                    tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
                ),
                **_pins(
                    [
                        line
                        for line in (REPO_ROOT / "scripts/build-requirements.in").read_text().splitlines()
                        if line and line[0] != "#"
                    ]
                ),
            },
        ),
        ("policies/requirements.lock", lambda: _pins((REPO_ROOT / "policies/requirements.in").read_text().split())),
    ],
)
def test_the_lock_pins_every_direct_pin_with_hashes(lock: str, pins: object) -> None:
    assert callable(pins)
    entries = _lock(REPO_ROOT / lock)
    for name, version in pins().items():
        assert name in entries, f"{lock} lacks {name} (run scripts/lock)"
        assert entries[name][0] == version, (
            f"{lock} has {name}=={entries[name][0]}, pinned {version} (run scripts/lock)"
        )
    unhashed = [name for name, (_version, hashes) in entries.items() if hashes == 0]
    assert unhashed == [], f"{lock}: no hash for {unhashed}"


def test_bootstrap_installs_with_require_hashes_and_nothing_unlocked() -> None:
    text = (REPO_ROOT / "scripts" / "bootstrap").read_text()
    assert "--require-hashes -r requirements.lock" in text
    assert "--no-deps --no-build-isolation -e ." in text
    assert "'.[dev]'" not in text


@pytest.mark.slow
def test_the_pack_loads_from_its_hash_locked_virtualenv() -> None:
    """``scripts/policy-venv``'s install (``--require-hashes`` from policies/requirements.lock) is enough for the
    pack: built in a per-machine cache keyed by the lock's hash, then the pack's ``__main__.py`` runs in it."""
    import json

    from tests.policies.test_pack_requirements import LOCK, load_pack, policy_venv

    proc = load_pack(policy_venv(LOCK, "policy-venvs-locked", "--require-hashes"))
    assert proc.returncode == 0, f"the pack does not load from policies/requirements.lock:\n{proc.stderr}"
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert loaded["from_project_venv"] == [] and len(loaded["policies"]) >= 10, loaded


def test_policy_venv_script_installs_the_lock_with_hashes() -> None:
    text = (REPO_ROOT / "scripts" / "policy-venv").read_text()
    assert "--require-hashes -r requirements.lock" in text


def test_pulumi_install_of_the_pack_installs_the_hashed_lock() -> None:
    """``cd policies && pulumi install`` runs ``pip install -r requirements.txt`` (Pulumi's pip toolchain): that file
    is the lock itself (``scripts/lock`` copies it), so it names the pack's direct requirements, every line carries a
    hash, and pip checks every package of the pack's virtualenv (the e2e lane installs it so)."""
    entries = _lock(REPO_ROOT / "policies/requirements.txt")
    assert entries == _lock(REPO_ROOT / "policies/requirements.lock")
    assert entries and all(count > 0 for _version, count in entries.values())
    direct = _pins((REPO_ROOT / "policies/requirements.in").read_text().split())
    assert all(entries[name][0] == version for name, version in direct.items())
