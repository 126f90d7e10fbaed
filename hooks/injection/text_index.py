"""The text index the signals are matched against: one normalised text, its lower-cased twin with the same offsets,
and the positions of anchor tokens and marker substrings (found lazily, cached). It also holds the scan budget: every
anchor occurrence tried costs one attempt from ``BUDGET_BASE + len(text) * BUDGET_PER_CHAR``."""

from __future__ import annotations

from typing import Final

from hooks.injection.signals import SIGNALS, TOKEN_BYTES

__all__ = ["ALL_ANCHORS", "BUDGET_BASE", "BUDGET_PER_CHAR", "BudgetExceededError", "Text", "lower_aligned"]

BUDGET_BASE: Final = 2_000
BUDGET_PER_CHAR: Final = 1 / 16
ALL_ANCHORS: Final = frozenset().union(*(s.anchors | s.also for s in SIGNALS))
"""Every token some signal is anchored on or needs (``also``): the only tokens the index looks up."""

_WORD_SEPARATORS: Final = {c: " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}


def lower_aligned(text: str) -> str:
    """``text.lower()`` with one character per character (a few characters lower-case to two)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


class BudgetExceededError(Exception):
    """More pattern attempts than the text's budget: an adversarial flood of trigger words."""


class Text:
    """One normalised text, its lower-cased twin and the positions of anchor tokens (computed lazily)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.attempts_left = int(BUDGET_BASE + len(text) * BUDGET_PER_CHAR)
        self.low = lower_aligned(text)
        # Token map with the same offsets: non-ASCII characters become "?" and then, like punctuation, a space.
        self._padded = b" " + self.low.encode("ascii", "replace").translate(TOKEN_BYTES) + b" "
        self.present = ALL_ANCHORS.intersection(self._padded.split())
        self._positions: dict[bytes | str, list[int]] = {}
        self._contains: dict[str, bool] = {}

    def contains_any(self, needles: tuple[str, ...]) -> bool:
        for needle in needles:
            found = self._contains.get(needle)
            if found is None:
                found = self._contains[needle] = needle in self.low
            if found:
                return True
        return False

    def positions(self, anchor: bytes, lo: int = 0, hi: int = -1) -> list[int]:
        """Offsets of ``anchor`` as a whole token (in [lo, hi) when given: not cached)."""
        if hi >= 0:
            needle = b" " + anchor + b" "
            padded = self._padded
            local: list[int] = []
            i = padded.find(needle, lo, hi + 2)
            while i != -1:
                local.append(i)
                i = padded.find(needle, i + 1, hi + 2)
            return local
        found = self._positions.get(anchor)
        if found is None:
            found = []
            needle = b" " + anchor + b" "
            padded = self._padded
            i = padded.find(needle)
            while i != -1:
                found.append(i)  # offset in the text: +1 for the padding, -1 for the needle's space
                i = padded.find(needle, i + 1)
            self._positions[anchor] = found
        return found

    def marker_positions(self, marker: str, lo: int = 0, hi: int = -1) -> list[int]:
        """Offsets of ``marker`` as a substring (in [lo, hi) when given: not cached)."""
        if hi >= 0:
            low = self.low
            local: list[int] = []
            i = low.find(marker, lo, hi)
            while i != -1:
                local.append(i)
                i = low.find(marker, i + 1, hi)
            return local
        found = self._positions.get(marker)
        if found is None:
            found = []
            low = self.low
            i = low.find(marker)
            while i != -1:
                found.append(i)
                i = low.find(marker, i + 1)
            self._positions[marker] = found
        return found

    def has_word_before(self, words: frozenset[str], start: int, window: int) -> bool:
        chunk = self.low[max(0, start - window) : start]
        return not words.isdisjoint(chunk.translate(_WORD_SEPARATORS).split())
