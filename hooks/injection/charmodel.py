"""The learned injection detector: logistic regression over hashed character n-grams, scored in sliding windows.

Why characters: an instruction to the model reads "ignore", "ignorez", "ignoriere", "игнорируй" or "無視して" in
different languages and spellings; character n-grams (with the spaces around words) carry across languages,
inflections and misspellings where word lists do not, and need no tokenizer or vocabulary.

How a text is scored (``CharNgramModel.score``):

1. ``prepare``: lower-case, every run of white space one space, a space at each end; ASCII digits hash as ``0``.
2. Every character n-gram (``orders``, 1-5) is hashed to one of ``2**hash_bits`` slots (a polynomial hash over
   code points, then a multiplicative mix, all in wrapping 64-bit arithmetic) and looked up in the weight table.
3. The text is cut into windows of ``window`` characters every ``stride`` characters (one window for a shorter
   text). A window's score is ``bias + (sum of the weights of the n-grams starting in it) / sqrt(their number)``
   -- logistic regression over n-gram counts scaled to unit length -- and the text's probability is the sigmoid of
   its best window, so an instruction planted in a long benign document is not diluted by it.

The work is a handful of numpy operations over the text (no Python loop per character): a 10 KB text costs about
0.1 ms. The weights ship with the package (``data/charmodel.v1.*``: float16, gzip) and are read once per process.
``scripts/train_injection_charmodel.py`` trains them with this module's own ``window_features`` so training and
run time see the same features, and regenerates the shipped files byte for byte from pinned inputs.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "CHARMODEL",
    "CHARMODEL_FORMAT",
    "CharNgramModel",
    "FeatureSpec",
    "WindowScore",
    "load_packaged_charmodel",
    "prepare",
]

CHARMODEL_FORMAT: Final = 1
CHARMODEL: Final = "charmodel.v1"
"""Stem of the packaged model: ``data/charmodel.v1.json`` (spec, bias, threshold, provenance) and
``data/charmodel.v1.f16.gz`` (the weight table)."""

_PRIME: Final = np.uint64(1_000_003)
_SEED: Final = np.uint64(0x2545F4914F6CDD1D)
_MIX: Final = np.uint64(0x9E3779B97F4A7C15)

Ids = npt.NDArray[np.int64]


def prepare(text: str) -> str:
    """The text the n-grams are taken from: lower case, white space collapsed, padded with a space at each end.
    (ASCII digits are read as ``0`` when hashed, see ``FeatureSpec.slot_ids``.)"""
    return " " + " ".join(text.lower().split()) + " "


@dataclass(frozen=True)
class FeatureSpec:
    """Which n-grams, how many slots, and the window geometry. Stored in the model file; training and run time
    must agree on every field."""

    orders: tuple[int, ...] = (1, 2, 3, 4, 5)
    hash_bits: int = 20
    window: int = 320
    stride: int = 64

    def __post_init__(self) -> None:
        if not self.orders or sorted(set(self.orders)) != list(self.orders) or self.orders[0] < 1:
            raise ValueError(f"orders must be increasing positive integers, not {self.orders!r}")
        if not 8 <= self.hash_bits <= 26:
            raise ValueError(f"hash_bits must be within 8..26, not {self.hash_bits}")
        if not 0 < self.stride <= self.window:
            raise ValueError(f"stride must be within 1..window ({self.window}), not {self.stride}")

    def slot_ids(self, prepared: str) -> list[Ids]:
        """For each order n, the slot of the n-gram starting at each position (``len - n + 1`` of them)."""
        codes = np.frombuffer(prepared.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        codes[(codes >= 48) & (codes <= 57)] = 48  # every ASCII digit is "0"
        shift = np.uint64(64 - self.hash_bits)
        out: list[Ids] = []
        rolling = codes + _SEED
        top = self.orders[-1]
        for n in range(1, top + 1):
            if n > 1:
                if len(codes) < n:
                    break
                rolling = rolling[:-1] * _PRIME + codes[n - 1 :]
            if n in self.orders:
                out.append((((rolling ^ np.uint64(n)) * _MIX) >> shift).view(np.int64))
        return out

    def window_features(self, text: str) -> Ids:
        """Every slot id of ``text`` taken as one window (what training counts; duplicates kept)."""
        ids = self.slot_ids(prepare(text))
        return np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class WindowScore:
    """The best window of a text."""

    probability: float
    start: int
    """Offset of the window in the prepared text (``prepare``), which is close to the original's."""
    end: int


NO_TEXT: Final = WindowScore(0.0, 0, 0)


@dataclass(frozen=True)
class CharNgramModel:
    """Logistic regression over unit-length hashed character n-gram counts, scored per window."""

    spec: FeatureSpec
    bias: float
    weights: npt.NDArray[np.float32]
    threshold: float
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.weights.shape != (1 << self.spec.hash_bits,):
            raise ValueError(f"weights must have 2**{self.spec.hash_bits} entries, not {self.weights.shape}")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be within (0, 1), not {self.threshold}")

    def score(self, text: str) -> WindowScore:
        """The probability of the best window of ``text`` that it carries an instruction aimed at the model."""
        best = self.best_windows(text, 1)
        return best[0] if best else NO_TEXT

    def best_windows(self, text: str, count: int) -> list[WindowScore]:
        """The ``count`` best windows of ``text``, best first (ties by position)."""
        starts, ends, z = self.window_logits(text)
        order = np.argsort(-z, kind="stable")[:count]
        return [WindowScore(_sigmoid(float(z[j])), int(starts[j]), int(ends[j])) for j in order]

    def window_logits(self, text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Every window of ``text`` (start, end in the prepared text) and its logit; empty for an empty text."""
        prepared = prepare(text)
        spec, weights = self.spec, self.weights
        length = len(prepared)
        if length <= 2:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=np.float64)
        if length <= spec.window:
            starts = np.zeros(1, dtype=np.int64)
        else:
            starts = np.arange(0, length - spec.window + 1, spec.stride, dtype=np.int64)
            if starts[-1] != length - spec.window:
                starts = np.append(starts, length - spec.window)
        ends = np.minimum(starts + spec.window, length)
        # Every order's weights added at the n-gram's start position, then one running sum: a window's sum is the
        # difference of two entries. Near the end an order has fewer n-grams (len - n + 1); its missing tail adds
        # zero, and the count n of n-grams per window takes each order's own length.
        contrib = np.zeros(length + 1, dtype=np.float64)
        n = np.zeros(len(starts), dtype=np.float64)
        for ids in spec.slot_ids(prepared):
            size = len(ids)
            contrib[1 : size + 1] += weights.take(ids)
            n += np.minimum(ends, size) - np.minimum(starts, size)
        running = np.cumsum(contrib)
        sums = running[ends] - running[starts]
        return starts, ends, self.bias + sums / np.sqrt(np.maximum(n, 1.0))

    def probability(self, text: str) -> float:
        return self.score(text).probability

    # ------------------------------------------------------------------------------------------ files

    def to_files(self) -> tuple[bytes, bytes]:
        """The model as (metadata JSON, gzip'd float16 weights), both byte-deterministic."""
        table = self.weights.astype("<f2").tobytes()
        packed = gzip.compress(table, compresslevel=9, mtime=0)
        meta = {
            "format": CHARMODEL_FORMAT,
            "spec": {
                "orders": list(self.spec.orders),
                "hash_bits": self.spec.hash_bits,
                "window": self.spec.window,
                "stride": self.spec.stride,
            },
            "bias": self.bias,
            "threshold": self.threshold,
            "weights_sha256": hashlib.sha256(table).hexdigest(),
            "provenance": dict(self.provenance),
        }
        return (json.dumps(meta, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode(), packed

    @classmethod
    def from_files(cls, meta_bytes: bytes, weights_gz: bytes) -> CharNgramModel:
        """Read and check a model: format, spec, the weight table's size and its recorded hash."""
        try:
            meta = json.loads(meta_bytes)
        except ValueError as exc:
            raise ValueError(f"charmodel metadata is not JSON: {exc}") from None
        if not isinstance(meta, dict) or meta.get("format") != CHARMODEL_FORMAT:
            raise ValueError(f"charmodel format must be {CHARMODEL_FORMAT}")
        raw_spec = meta.get("spec")
        if not isinstance(raw_spec, dict):
            raise ValueError("charmodel metadata needs a 'spec' object")
        try:
            spec = FeatureSpec(
                orders=tuple(int(o) for o in raw_spec["orders"]),
                hash_bits=int(raw_spec["hash_bits"]),
                window=int(raw_spec["window"]),
                stride=int(raw_spec["stride"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"charmodel spec is incomplete: {exc}") from None
        table = gzip.decompress(weights_gz)
        digest = hashlib.sha256(table).hexdigest()
        if digest != meta.get("weights_sha256"):
            raise ValueError(
                f"charmodel weights sha256 {digest} does not match the recorded {meta.get('weights_sha256')}"
            )
        for key in ("bias", "threshold"):
            if not isinstance(meta.get(key), int | float):
                raise ValueError(f"charmodel '{key}' must be a number")
        weights = np.frombuffer(table, dtype="<f2").astype(np.float32)
        return cls(
            spec=spec,
            bias=float(meta["bias"]),
            weights=weights,
            threshold=float(meta["threshold"]),
            provenance=dict(meta.get("provenance") or {}),
        )


def _sigmoid(z: float) -> float:
    if z < -60.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=2)
def load_packaged_charmodel(stem: str = CHARMODEL) -> CharNgramModel:
    """The model shipped in ``hooks/injection/data/`` (read once per process; immutable)."""
    data = resources.files("hooks.injection").joinpath("data")
    return CharNgramModel.from_files(
        data.joinpath(f"{stem}.json").read_bytes(), data.joinpath(f"{stem}.f16.gz").read_bytes()
    )
