"""Composition: run the secret and PII detectors, resolve overlaps, replace findings with typed placeholders.

Overlaps are resolved greedily: a secret beats PII, then the longer span wins, then the more specific kind. The
result is non-overlapping and sorted by start. Counts carry kinds only, never values, so they are safe for audit
events.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hooks.sanitize.pii import PII_KINDS, scan_pii
from hooks.sanitize.secrets import DEFAULT_SECRET_KINDS, SECRET_KINDS, keyed_secret_kind, kind_rank, scan_secrets

__all__ = ["TOO_DEEP", "Finding", "SanitizeResult", "Sanitizer", "SanitizerConfig"]

TOO_DEEP = "too-deep"
"""Kind of the marker that replaces containers nested deeper than ``SanitizerConfig.max_depth``."""

_Span = tuple[str, int, int]
_EMPTY_COUNTS: Mapping[str, int] = MappingProxyType({})
_MIN_FINDING_LENGTH = 6  # shortest thing any detector reports ("a@b.io"); shorter strings are returned as they are
_MAX_CONTEXT_KEY = 64  # a mapping key up to this long is shown to the detectors as context ("phone: <value>")
_DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True)
class Finding:
    """One detected secret or PII value: ``text[start:end]`` is the value, ``kind`` is ``secret.*`` or ``pii.*``."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class SanitizeResult:
    """The sanitized text and how many values of each kind were replaced (never the values themselves)."""

    text: str
    counts: Mapping[str, int]


class SanitizerConfig(BaseModel):
    """Which detectors run and how a redacted value is rendered."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secrets: bool = True
    pii: bool = True
    pii_kinds: frozenset[str] = PII_KINDS
    secret_kinds: frozenset[str] = DEFAULT_SECRET_KINDS
    placeholder: str = Field(default="[REDACTED:{kind}]", min_length=1, max_length=200)
    max_depth: int = Field(default=32, ge=1, le=512)

    @field_validator("pii_kinds")
    @classmethod
    def _known_pii_kinds(cls, kinds: frozenset[str]) -> frozenset[str]:
        unknown = kinds - PII_KINDS
        if unknown:
            raise ValueError(f"unknown PII kinds {sorted(unknown)}; known: {sorted(PII_KINDS)}")
        return kinds

    @field_validator("secret_kinds")
    @classmethod
    def _known_secret_kinds(cls, kinds: frozenset[str]) -> frozenset[str]:
        unknown = kinds - SECRET_KINDS
        if unknown:
            raise ValueError(f"unknown secret kinds {sorted(unknown)}; known: {sorted(SECRET_KINDS)}")
        return kinds


def _start(span: _Span) -> int:
    return span[1]


def _priority(span: _Span) -> tuple[bool, int, int, int]:
    kind, start, end = span
    return (not kind.startswith("secret."), start - end, kind_rank(kind), start)


def resolve_overlaps(spans: list[_Span]) -> list[_Span]:
    """Non-overlapping, sorted by start: secrets beat PII, then longer beats shorter, then specific beats generic."""
    spans = sorted((span for span in spans if span[2] > span[1]), key=_start)
    if all(before[2] <= after[1] for before, after in itertools.pairwise(spans)):
        return spans  # the common case: nothing overlaps
    chosen: list[_Span] = []
    starts: list[int] = []
    for span in sorted(spans, key=_priority):
        index = bisect.bisect_left(starts, span[1])
        if index > 0 and chosen[index - 1][2] > span[1]:
            continue
        if index < len(chosen) and chosen[index][1] < span[2]:
            continue
        chosen.insert(index, span)
        starts.insert(index, span[1])
    return chosen


class Sanitizer:
    """Redacts secrets and PII from text and from JSON-like values. Stateless after construction; thread-safe."""

    def __init__(self, config: SanitizerConfig | None = None) -> None:
        self._config = config if config is not None else SanitizerConfig()
        self._secret_kinds = self._config.secret_kinds if self._config.secrets else frozenset()
        self._pii_kinds = self._config.pii_kinds if self._config.pii else frozenset()
        template = self._config.placeholder
        self._placeholders = {kind: template.replace("{kind}", kind) for kind in SECRET_KINDS | PII_KINDS}
        self._placeholders[TOO_DEEP] = template.replace("{kind}", TOO_DEEP)

    @property
    def config(self) -> SanitizerConfig:
        return self._config

    def placeholder(self, kind: str) -> str:
        """The text that replaces a value of ``kind``."""
        return self._placeholders.get(kind) or self._config.placeholder.replace("{kind}", kind)

    def _spans(self, text: str) -> list[_Span]:
        if len(text) < _MIN_FINDING_LENGTH:
            return []
        spans: list[_Span] = []
        if self._secret_kinds:
            spans.extend(scan_secrets(text, self._secret_kinds))
        if self._pii_kinds:
            spans.extend(scan_pii(text, self._pii_kinds))
        return resolve_overlaps(spans)

    def scan(self, text: str) -> list[Finding]:
        """The findings in ``text``: non-overlapping, sorted by start."""
        return [Finding(kind, start, end) for kind, start, end in self._spans(text)]

    def _redact(self, text: str, spans: list[_Span], counts: Counter[str]) -> str:
        if not spans:
            return text
        parts: list[str] = []
        position = 0
        for kind, start, end in spans:
            parts.append(text[position:start])
            parts.append(self.placeholder(kind))
            counts[kind] += 1
            position = end
        parts.append(text[position:])
        return "".join(parts)

    def sanitize(self, text: str) -> SanitizeResult:
        """``text`` with every finding replaced by its typed placeholder, and the count per kind."""
        spans = self._spans(text)
        if not spans:
            return SanitizeResult(text, _EMPTY_COUNTS)
        counts: Counter[str] = Counter()
        redacted = self._redact(text, spans, counts)
        return SanitizeResult(redacted, MappingProxyType(dict(counts)))

    def sanitize_value(self, value: object) -> tuple[object, dict[str, int]]:
        """A copy of a JSON-like value (nested dict / list / tuple / str) with every string sanitized.

        Mapping keys are kept as they are, but a key that names a secret (``password``, ``api_key``,
        ``Authorization`` ...) makes its whole string value a secret, and a short key is given to the detectors
        as context for its value (``{"phone": "555 0134 222"}``). Integers long enough to be a card number are
        checked too. Containers nested deeper than ``max_depth`` are replaced by the ``too-deep`` marker.
        """
        counts: Counter[str] = Counter()
        result = self._walk(value, 0, None, counts)
        return result, dict(counts)

    def _walk(self, value: object, depth: int, key: str | None, counts: Counter[str]) -> object:
        if isinstance(value, str):
            return self._sanitize_string(value, key, counts)
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return value
        if isinstance(value, int):
            return self._sanitize_int(value, key, counts)
        if isinstance(value, Mapping | list | tuple):
            if depth >= self._config.max_depth:
                counts[TOO_DEEP] += 1
                return self._placeholders[TOO_DEEP]
            if isinstance(value, Mapping):
                return {
                    item_key: self._walk(item, depth + 1, item_key if isinstance(item_key, str) else None, counts)
                    for item_key, item in value.items()
                }
            items = [self._walk(item, depth + 1, key, counts) for item in value]
            return tuple(items) if isinstance(value, tuple) else items
        return value

    def _keyed_spans(self, value: str, key: str | None) -> list[_Span]:
        """Spans in ``value``, with a short mapping key shown to the detectors as ``key: value`` context.

        The context only matters for numbers (``{"phone": "418 2273"}``), so values without a digit skip it.
        """
        if key is None or len(key) > _MAX_CONTEXT_KEY or not key.strip() or "\n" in key or not _DIGIT.search(value):
            return self._spans(value)
        prefix = f"{key}: "
        offset = len(prefix)
        spans: list[_Span] = []
        for kind, start, end in self._spans(prefix + value):
            if end > offset:
                spans.append((kind, max(start, offset) - offset, end - offset))
        return spans

    def _sanitize_string(self, value: str, key: str | None, counts: Counter[str]) -> str:
        if key is not None and self._secret_kinds:
            kind = keyed_secret_kind(key, value)
            if kind is not None and kind in self._secret_kinds:
                counts[kind] += 1
                return self.placeholder(kind)
        return self._redact(value, self._keyed_spans(value, key), counts)

    def _sanitize_int(self, value: int, key: str | None, counts: Counter[str]) -> object:
        if -(10**8) < value < 10**8:
            return value
        digits = str(value)
        spans = self._keyed_spans(digits, key)
        if any(start == 0 and end == len(digits) for _, start, end in spans):
            kind = spans[0][0]
            counts[kind] += 1
            return self.placeholder(kind)
        return value
