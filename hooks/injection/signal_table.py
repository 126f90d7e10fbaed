"""The signal table: its schema, and the loader that turns the versioned data file into compiled ``Signal`` objects.

The table ships with the package (``data/signals.v1.json``). ``load_table`` reads it once (``signals.py`` does, at
import), validates every entry with the pydantic models below and compiles every pattern. A malformed entry fails
the load with a ``SignalTableError`` naming the file, the entry (its ``id`` and index) and the field, e.g.
``signals.v1.json: signal 'override-instructions/3' (signals[2]), field 'weight': Input should be less than 1``.
What each field means is described in the data file's ``about`` header and on ``Signal``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

__all__ = ["TABLE_FORMAT", "TABLE_NAME", "TABLE_VERSION", "Signal", "SignalTableError", "compile_table", "load_table"]

TABLE_FORMAT: Final = "baker-street-hardened/injection-signals"
TABLE_VERSION: Final = 1
TABLE_NAME: Final = "signals.v1.json"


@dataclass(frozen=True)
class Signal:
    rule: str
    weight: float
    pattern: re.Pattern[str]
    anchors: frozenset[bytes]
    """Whole tokens (lower case ASCII, no punctuation) near which the pattern is tried."""
    lead: bool
    """The pattern begins with the anchor: try ``match`` at the anchor, else ``search`` around it."""
    before: int = 0
    after: int = 0
    seed: bool = True
    cased: bool = False
    """Match against the original-case text (same offsets) instead of the lower-cased one."""
    requires: tuple[str, ...] = ()
    """If given, the signal is only tried when one of these substrings occurs in the lower-cased text."""
    also: frozenset[bytes] = frozenset()
    """If given, the signal is only tried when one of these words also occurs as a token (cheap set test)."""
    markers: tuple[str, ...] = ()
    """Substrings (e.g. "@") whose occurrences are anchor positions too."""
    verbs: frozenset[str] = frozenset()
    """If given, a match counts only when one of these words occurs in the ``verb_window`` characters before it:
    a cheap two-stage test instead of a regex with a long verb alternation and a wide gap."""
    verb_window: int = 0
    region: bool = False
    """A support signal searched over whole regions (no anchors): for targets no token can anchor (IBANs)."""
    prefix: tuple[str, ...] = ()
    """If given, an anchor occurrence is tried only when one of these substrings occurs in the ``prefix_window``
    characters before it (a cheap filter for common anchors, e.g. "your" before "reply")."""
    prefix_window: int = 0
    embedded: bool = False
    """A match counts only inside a larger text: at least ``EMBED_MIN_CHARS`` characters outside its sentence. A
    stand-alone request ("Write a poem about the sea.") is how a user talks to the model; the same request inside an
    email or a page is addressed to whoever processes that data."""
    capital: bool = False
    """Try only the anchor occurrences that start with a capital letter (a common word starting a sentence)."""
    heads: tuple[str, ...] = ()
    """For a marker signal: case-sensitive words the match must start with. Instead of searching the whole
    ``before`` window, the pattern is tried only where one of them starts a word in it (a few ``str.find``)."""
    not_after: re.Pattern[str] | None = None
    """If given, a match is dropped when this pattern matches (``search``) the ``NOT_AFTER_CHARS`` characters
    before it: a label that hands the task to a person ("Step 3:", "Sample question:", "Homework")."""
    sparse: bool = False
    """Skip the signal when its markers are dense (more than ``SPARSE_BASE`` + one per ``SPARSE_CHARS`` characters):
    a text full of "?" (mojibake, placeholders) is not prose with a question planted in it, and trying every
    occurrence would cost far more than the scan budget allows."""
    id: str = ""
    """The entry's id in the data file (``rule/n``)."""
    family: str = ""
    """The group of signals (one of the table's ``families``) that can be measured and removed together."""


class SignalTableError(ValueError):
    """The signal table is malformed; the message names the entry and the field."""


# ------------------------------------------------------------------------------------------------- schema

_Token = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")]
_Text = Annotated[str, StringConstraints(min_length=1)]
_Flag = Literal["ASCII", "IGNORECASE", "MULTILINE", "DOTALL", "VERBOSE"]
_PatternText = _Text | Annotated[list[_Text], Field(min_length=1)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class PatternEntry(_Entry):
    """A named pattern shared by several signals (``not_after``)."""

    pattern: _PatternText
    flags: list[_Flag] = []
    note: str = ""


class SignalEntry(_Entry):
    """One signal, as written in the data file (defaults omitted)."""

    id: _Text
    family: _Text
    rule: _Text
    weight: float = Field(gt=0.0, lt=1.0)
    kind: Literal["lead", "near"]
    pattern: _PatternText
    flags: list[_Flag] = []
    anchors: list[_Token] = []
    before: int = Field(default=0, ge=0)
    after: int = Field(default=0, ge=0)
    seed: bool = True
    cased: bool = False
    requires: list[_Text] = []
    also: list[_Token] = []
    markers: list[_Text] = []
    verbs: list[_Text] = []
    verb_window: int = Field(default=0, ge=0)
    region: bool = False
    prefix: list[_Text] = []
    prefix_window: int = Field(default=0, ge=0)
    embedded: bool = False
    capital: bool = False
    heads: list[_Text] = []
    not_after: _Text | None = None
    sparse: bool = False
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> SignalEntry:
        if self.region and self.seed:
            raise ValueError("field 'region': region signals must be support signals (seed: false)")
        if not (self.anchors or self.markers or self.region):
            raise ValueError("field 'anchors': a signal needs anchors, markers or region: true (or it is never tried)")
        if self.heads and not self.markers:
            raise ValueError("field 'heads': heads are only used by marker signals")
        if self.verbs and not self.verb_window:
            raise ValueError("field 'verb_window': verbs need a verb_window")
        if self.prefix and not self.prefix_window:
            raise ValueError("field 'prefix_window': prefix needs a prefix_window")
        if self.kind == "lead" and (self.before or self.after or self.markers or self.region):
            raise ValueError("field 'kind': a lead signal is matched at its anchor (no before/after/markers/region)")
        return self


class SignalTable(_Entry):
    """The whole data file."""

    format: Literal["baker-street-hardened/injection-signals"]
    version: Literal[1]
    about: list[str]
    rules: list[_Text] = Field(min_length=1)
    families: dict[str, str]
    patterns: dict[str, PatternEntry] = {}
    signals: list[SignalEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> SignalTable:
        if len(set(self.rules)) != len(self.rules):
            raise ValueError("field 'rules': a rule is listed twice")
        ids: set[str] = set()
        for index, entry in enumerate(self.signals):
            where = f"signal {entry.id!r} (signals[{index}])"
            if entry.id in ids:
                raise ValueError(f"{where}, field 'id': duplicate id")
            ids.add(entry.id)
            if entry.rule not in self.rules:
                raise ValueError(f"{where}, field 'rule': {entry.rule!r} is not one of the table's rules")
            if entry.family not in self.families:
                raise ValueError(f"{where}, field 'family': {entry.family!r} is not one of the table's families")
            if entry.not_after is not None and entry.not_after not in self.patterns:
                raise ValueError(f"{where}, field 'not_after': no pattern named {entry.not_after!r}")
        return self


# ------------------------------------------------------------------------------------------------- loader


def _describe(error: Mapping[str, Any], raw: Any) -> str:
    """``signal 'id' (signals[3]), field 'weight': message`` for one pydantic error."""
    loc = tuple(error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if len(loc) >= 2 and loc[0] == "signals" and isinstance(loc[1], int):
        entries = raw.get("signals") if isinstance(raw, dict) else None
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        name = entry.get("id") if isinstance(entry, dict) else None
        where = f"signal {name!r} (signals[{loc[1]}])"
        if len(loc) > 2:
            return f"{where}, field {'.'.join(map(str, loc[2:]))!r}: {message}"
        return f"{where}, {message}"
    if len(loc) >= 2 and loc[0] == "patterns":
        return f"pattern {loc[1]!r}, field {'.'.join(map(str, loc[2:])) or 'pattern'!r}: {message}"
    if loc:
        return f"field {'.'.join(map(str, loc))!r}: {message}"
    return message


def _compile(text: str | list[str], flags: list[str], where: str) -> re.Pattern[str]:
    source = text if isinstance(text, str) else "".join(text)
    value = 0
    for flag in flags:
        value |= re.RegexFlag[flag]
    try:
        return re.compile(source, value)
    except re.error as exc:
        raise SignalTableError(f"{where}, field 'pattern': invalid regular expression: {exc}") from exc


def compile_table(raw: Any, source: str = TABLE_NAME) -> tuple[tuple[Signal, ...], tuple[str, ...]]:
    """Validate a parsed table and compile it: ``(signals, rules)``. Raises ``SignalTableError``."""
    try:
        table = SignalTable.model_validate(raw)
    except ValidationError as exc:
        details = "; ".join(_describe(error, raw) for error in exc.errors())
        raise SignalTableError(f"{source}: {details}") from None
    named = {
        name: _compile(entry.pattern, list(entry.flags), f"{source}: pattern {name!r}")
        for name, entry in table.patterns.items()
    }
    signals = tuple(
        Signal(
            rule=entry.rule,
            weight=entry.weight,
            pattern=_compile(entry.pattern, list(entry.flags), f"{source}: signal {entry.id!r} (signals[{index}])"),
            anchors=frozenset(word.encode("ascii") for word in entry.anchors),
            lead=entry.kind == "lead",
            before=entry.before,
            after=entry.after,
            seed=entry.seed,
            cased=entry.cased,
            requires=tuple(entry.requires),
            also=frozenset(word.encode("ascii") for word in entry.also),
            markers=tuple(entry.markers),
            verbs=frozenset(entry.verbs),
            verb_window=entry.verb_window,
            region=entry.region,
            prefix=tuple(entry.prefix),
            prefix_window=entry.prefix_window,
            embedded=entry.embedded,
            capital=entry.capital,
            heads=tuple(entry.heads),
            not_after=None if entry.not_after is None else named[entry.not_after],
            sparse=entry.sparse,
            id=entry.id,
            family=entry.family,
        )
        for index, entry in enumerate(table.signals)
    )
    return signals, tuple(table.rules)


def load_table(name: str = TABLE_NAME) -> tuple[tuple[Signal, ...], tuple[str, ...]]:
    """Read, validate and compile the packaged table ``data/<name>``: ``(signals, rules)``."""
    text = resources.files("hooks.injection").joinpath(f"data/{name}").read_text(encoding="utf-8")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SignalTableError(f"{name}: not JSON: {exc}") from None
    return compile_table(raw, name)
