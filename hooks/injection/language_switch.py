"""Language-switch evidence: a window written in another language than the text around it.

An indirect injection is often a sentence in one language planted in data of another: an English page with an
instruction in Irish, a German man page with an English request to the assistant. Ordinary tool outputs rarely
switch language for one paragraph. On its own a switch is no injection (a bilingual README, a gettext catalogue,
a quotation), so it only lowers the bar for the learned model's own windows: ``InjectionDetector`` flags a text
whose best windows (``CANDIDATE_WINDOWS``) include one at or above ``LearnedStage.switch_threshold`` that is in
another language than its context (rule ``learned-language-switch``).

Language identification is py3langid's (the langid.py model, shipped inside its wheel; nothing is fetched), with
normalised probabilities; both the window and its context must be identified with at least ``MIN_PROBABILITY``,
the window is identified sentence by sentence (or line by line), so that the carrier text around a short planted
instruction does not decide its language, and the context (up to ``CONTEXT_CHARS`` on each side) must hold at
least ``MIN_CONTEXT_CHARS`` characters.

Pure apart from the identifier, which ``load_identifier`` builds once per process (about 0.3 s, only when the
learned stage is on).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from hooks.injection.charmodel import WindowScore

CANDIDATE_WINDOWS: Final = 3
"""How many of the learned model's best windows are checked for a switch."""
MIN_PROBABILITY: Final = 0.9
"""Normalised probability that both the window's and the context's language must reach."""
CONTEXT_CHARS: Final = 1500
"""Characters of context taken on each side of the window."""
MIN_CONTEXT_CHARS: Final = 200
"""A window with less context than this (a short text) is not compared."""

MIN_SEGMENT_CHARS: Final = 40
"""Shorter sentences (a heading, a name, a command) are not identified: too few characters for a sure answer."""
_SEGMENT_BREAK: Final = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+|\n+")

Identify = Callable[[str], tuple[str, float]]
"""Text -> (language code, normalised probability)."""


@dataclass(frozen=True)
class LanguageShift:
    """A window in one language inside a context in another."""

    window_language: str
    context_language: str

    def describe(self) -> str:
        return f"a passage in '{self.window_language}' inside text in '{self.context_language}'"


def language_shift(identify: Identify, prepared: str, start: int, end: int) -> LanguageShift | None:
    """A sentence or line of ``prepared[start:end]`` identified, as confidently as the text around the window, in
    another language than that text; ``None`` if there is none or either side is too short or unsure.

    Sentences, not the whole window: a planted instruction is often shorter than a window, and the carrier text on
    either side of it would otherwise decide the window's language."""
    context = f"{prepared[max(0, start - CONTEXT_CHARS) : start]} {prepared[end : end + CONTEXT_CHARS]}".strip()
    if len(context) < MIN_CONTEXT_CHARS:
        return None
    context_language, context_probability = identify(context)
    if context_probability < MIN_PROBABILITY:
        return None
    for segment in _SEGMENT_BREAK.split(prepared[start:end]):
        if len(segment.strip()) < MIN_SEGMENT_CHARS:
            continue
        language, probability = identify(segment)
        if probability >= MIN_PROBABILITY and language != context_language:
            return LanguageShift(language, context_language)
    return None


def first_shifted_window(
    identify: Identify, prepared: str, windows: Sequence[WindowScore], bar: float
) -> WindowScore | None:
    """The best of ``windows`` (best first, as ``CharNgramModel.best_windows`` gives them) that reaches ``bar`` and
    holds a sentence in another language than its context."""
    for window in windows:
        if window.probability < bar:
            return None
        if language_shift(identify, prepared, window.start, window.end) is not None:
            return window
    return None


@lru_cache(maxsize=1)
def load_identifier() -> Identify:
    """py3langid's packaged model with normalised probabilities (read once per process)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def identify(text: str) -> tuple[str, float]:
        language, probability = identifier.classify(text)
        return str(language), float(probability)

    return identify
