"""hooks.injection.signal_table: the packaged signal table loads, and a malformed entry names itself and its field."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

import pytest

from hooks.injection.signal_table import TABLE_NAME, TABLE_VERSION, SignalTableError, compile_table, load_table
from hooks.injection.signals import RULES, SIGNALS


def _raw() -> dict[str, Any]:
    text = resources.files("hooks.injection").joinpath(f"data/{TABLE_NAME}").read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    return raw


def test_the_packaged_table_is_what_the_detector_uses() -> None:
    raw = _raw()
    assert raw["version"] == TABLE_VERSION
    assert raw["about"]
    signals, rules = load_table()
    assert (signals, rules) == (SIGNALS, RULES)
    assert {s.family for s in SIGNALS} == set(raw["families"])
    assert len({s.id for s in SIGNALS}) == len(SIGNALS)
    assert all(s.rule in RULES and s.family for s in SIGNALS)


def _broken(index: int, **changes: object) -> dict[str, Any]:
    raw = copy.deepcopy(_raw())
    raw["signals"][index].update(changes)
    return raw


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weight": 1.5}, "weight"),
        ({"kind": "around"}, "kind"),
        ({"anchors": ["Not A Token"]}, "anchors.0"),
        ({"rule": "no-such-rule"}, "rule"),
        ({"family": "no-such-family"}, "family"),
        ({"pattern": "(unbalanced"}, "pattern"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_entry_is_named_with_its_field(changes: dict[str, object], field: str) -> None:
    raw = _broken(2, **changes)
    name = raw["signals"][2]["id"]
    with pytest.raises(SignalTableError, match=re.escape(f"signal {name!r} (signals[2]), field {field!r}")):
        compile_table(raw)


def test_a_duplicate_id_and_an_inconsistent_entry_are_refused() -> None:
    raw = _raw()
    with pytest.raises(SignalTableError, match="field 'id': duplicate id"):
        compile_table(_broken(1, id=raw["signals"][0]["id"]))
    with pytest.raises(SignalTableError, match="field 'region'"):
        compile_table(_broken(0, region=True, kind="near"))
    with pytest.raises(SignalTableError, match="field 'version'"):
        compile_table({**raw, "version": 2})
