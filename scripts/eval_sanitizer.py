#!/usr/bin/env python3
"""Development evaluation of hooks.sanitize: PII span F2, secrets recall / hard negatives, sanitize() latency.

Reads the evaluation corpora from ../shared/corpora (never copied into the project):
  presidio-research/synth_dataset_v2.json (+ generated_small.json), secrets/gitleaks_rule_cases.jsonl,
  secrets/gitleaks.toml (only to tell which hard negatives another gitleaks rule itself flags).

Usage: .venv/bin/python scripts/eval_sanitizer.py [--pii] [--secrets] [--latency] [--verbose]
(no flag = all three). Exit status 0 always: this prints figures, the tests hold the thresholds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
import tomllib
import warnings
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hooks.sanitize import Sanitizer, SanitizerConfig  # noqa: E402
from hooks.sanitize.secrets import SECRET_KINDS  # noqa: E402

SHARED = REPO.parent / "shared" / "corpora"
PRESIDIO = SHARED / "presidio-research"
SECRETS = SHARED / "secrets"

ENTITY_OF_KIND = {
    "pii.email": "EMAIL_ADDRESS",
    "pii.phone": "PHONE_NUMBER",
    "pii.credit_card": "CREDIT_CARD",
    "pii.us_ssn": "US_SSN",
    "pii.iban": "IBAN_CODE",
    "pii.ip_address": "IP_ADDRESS",
}
ENTITIES = tuple(ENTITY_OF_KIND.values())
BETA = 2.0


def f_beta(precision: float, recall: float, beta: float = BETA) -> float:
    if precision == 0 and recall == 0:
        return 0.0
    return (1 + beta**2) * precision * recall / (beta**2 * precision + recall)


# ---------------------------------------------------------------------------------------------------------------- PII


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and not text[start].isalnum() and text[start] not in "+(":
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end


def _match(gold: list[tuple[str, int, int]], pred: list[tuple[str, int, int]], rule: str) -> tuple[Counter[str], ...]:
    """One-to-one matching per entity type. rule: 'exact' (same boundaries after trimming punctuation/space) or
    'overlap' (any shared character)."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    used: set[int] = set()
    for entity, g_start, g_end in gold:
        hit = None
        for index, (p_entity, p_start, p_end) in enumerate(pred):
            if index in used or p_entity != entity:
                continue
            if rule == "exact" and (p_start, p_end) == (g_start, g_end):
                hit = index
                break
            if rule == "overlap" and p_start < g_end and g_start < p_end:
                hit = index
                break
        if hit is None:
            fn[entity] += 1
        else:
            used.add(hit)
            tp[entity] += 1
    for index, (p_entity, _, _) in enumerate(pred):
        if index not in used:
            fp[p_entity] += 1
    return tp, fp, fn


def eval_pii(path: Path, verbose: bool) -> None:
    samples = json.loads(path.read_text())
    sanitizer = Sanitizer()
    results: dict[str, tuple[Counter[str], Counter[str], Counter[str]]] = {
        rule: (Counter(), Counter(), Counter()) for rule in ("overlap", "exact")
    }
    errors: dict[str, list[str]] = defaultdict(list)
    secret_hits: Counter[str] = Counter()
    start_time = time.perf_counter()
    for sample in samples:
        text = sample["full_text"]
        gold = []
        for span in sample["spans"]:
            if span["entity_type"] in ENTITIES:
                gold.append((span["entity_type"], *_strip(text, span["start_position"], span["end_position"])))
        pred = []
        for finding in sanitizer.scan(text):
            if finding.kind in ENTITY_OF_KIND:
                pred.append((ENTITY_OF_KIND[finding.kind], *_strip(text, finding.start, finding.end)))
            else:
                secret_hits[finding.kind] += 1
        for rule, (tp, fp, fn) in results.items():
            a, b, c = _match(gold, pred, rule)
            tp.update(a)
            fp.update(b)
            fn.update(c)
            if rule == "overlap" and verbose and (b or c):
                for entity, g_start, g_end in gold:
                    if not any(p[0] == entity and p[1] < g_end and g_start < p[2] for p in pred):
                        errors[f"FN {entity}"].append(repr(text[max(0, g_start - 30) : g_end + 12]))
                for entity, p_start, p_end in pred:
                    if not any(g[0] == entity and g[1] < p_end and p_start < g[2] for g in gold):
                        errors[f"FP {entity}"].append(repr(text[max(0, p_start - 30) : p_end + 12]))
    elapsed = time.perf_counter() - start_time
    n_gold = sum(results["exact"][0].values()) + sum(results["exact"][2].values())
    print(f"\n== PII: {path.name}: {len(samples)} samples, {n_gold} gold spans of the 6 types, scan {elapsed:.2f} s")
    for rule, (tp, fp, fn) in results.items():
        print(f"-- matching: {rule}")
        print(f"   {'entity':14s} {'gold':>5s} {'tp':>4s} {'fp':>4s} {'fn':>4s} {'P':>6s} {'R':>6s} {'F2':>6s}")
        for entity in (*ENTITIES, "ALL"):
            if entity == "ALL":
                t, f, n = sum(tp.values()), sum(fp.values()), sum(fn.values())
            else:
                t, f, n = tp[entity], fp[entity], fn[entity]
            precision = t / (t + f) if t + f else 1.0
            recall = t / (t + n) if t + n else 1.0
            print(
                f"   {entity:14s} {t + n:5d} {t:4d} {f:4d} {n:4d} {precision:6.3f} {recall:6.3f} "
                f"{f_beta(precision, recall):6.3f}"
            )
    print(f"   secret findings on this PII corpus (should be ~0): {dict(secret_hits) or 0}")
    for label, examples in sorted(errors.items()):
        print(f"   {label}: {len(examples)}")
        for example in examples[:40]:
            print(f"      {example}")


# ------------------------------------------------------------------------------------------------------------ secrets


def _go_regex(pattern: str) -> re.Pattern[str] | None:
    """gitleaks' RE2 patterns in Python syntax where the difference is mechanical; None if it does not compile."""
    pattern = pattern.replace(r"\z", r"\Z").replace("(?-i:", "(?-i:")
    if not pattern:
        return None  # path-only rule (e.g. pkcs12-file): nothing to match in text
    flags = 0
    if pattern.startswith("(?i)"):
        flags, pattern = re.IGNORECASE, pattern[4:]
    pattern = re.sub(r"\(\?i\)(.*)$", r"(?i:\1)", pattern)  # a mid-pattern (?i) scopes to the end
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return re.compile(pattern, flags)
    except re.error:
        return None


class _GitleaksRule:
    def __init__(self, raw: dict[str, object]) -> None:
        self.id = str(raw["id"])
        self.regex = _go_regex(str(raw.get("regex", "")))
        self.entropy = float(raw.get("entropy", 0.0))  # type: ignore[arg-type]
        self.keywords = [str(k).lower() for k in raw.get("keywords", [])]  # type: ignore[attr-defined]
        self.group = int(raw.get("secretGroup", 0))  # type: ignore[call-overload]
        self.allow: list[tuple[str, re.Pattern[str]]] = []
        self.stopwords: list[str] = []
        for allow in raw.get("allowlists", []):  # type: ignore[attr-defined]
            target = allow.get("regexTarget", "secret")
            for pattern in allow.get("regexes", []):
                compiled = _go_regex(pattern)
                if compiled is not None:
                    self.allow.append((target, compiled))
            self.stopwords += [s.lower() for s in allow.get("stopwords", [])]

    def fires(self, text: str, global_allow: list[re.Pattern[str]], global_stop: list[str]) -> bool:
        from hooks.sanitize.checksums import shannon_entropy

        if self.regex is None:
            return False
        lowered = text.lower()
        if self.keywords and not any(k in lowered for k in self.keywords):
            return False
        for match in self.regex.finditer(text):
            group = self.group
            if not group and match.re.groups:
                group = next((i for i in range(1, match.re.groups + 1) if match.group(i)), 0)
            secret = match.group(group) or match.group(0)
            if self.entropy and shannon_entropy(secret) < self.entropy:
                continue
            if any(p.search(secret) for p in global_allow) or any(w in secret.lower() for w in global_stop):
                continue
            if any((p.search(match.group(0)) if target == "match" else p.search(secret)) for target, p in self.allow):
                continue
            if any(w in secret.lower() for w in self.stopwords):
                continue
            return True
        return False


def eval_secrets(verbose: bool) -> None:
    rows = [json.loads(line) for line in (SECRETS / "gitleaks_rule_cases.jsonl").read_text().splitlines() if line]
    config = tomllib.loads((SECRETS / "gitleaks.toml").read_text())
    rules = [_GitleaksRule(raw) for raw in config["rules"]]
    global_allow = [p for p in (_go_regex(x) for x in config["allowlist"].get("regexes", [])) if p is not None]
    global_stop = [s.lower() for s in config["allowlist"].get("stopwords", [])]
    compiled = sum(rule.regex is not None for rule in rules)

    sanitizer = Sanitizer(SanitizerConfig(pii=False))
    everything = Sanitizer(SanitizerConfig(pii=False, secret_kinds=SECRET_KINDS))
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    misses, flagged = [], []
    for row in rows:
        findings = [f for f in sanitizer.scan(row["text"]) if f.kind.startswith("secret.")]
        if row["label"] == "secret":
            per_rule[row["rule_id"]]["secret"] += 1
            if findings:
                per_rule[row["rule_id"]]["hit"] += 1
            else:
                misses.append(row)
        else:
            per_rule[row["rule_id"]]["not_secret"] += 1
            if findings:
                per_rule[row["rule_id"]]["flagged"] += 1
                others = [
                    rule.id
                    for rule in rules
                    if rule.id != row["rule_id"] and rule.fires(row["text"], global_allow, global_stop)
                ]
                flagged.append((row, findings, others))
    n_secret = sum(c["secret"] for c in per_rule.values())
    n_hit = sum(c["hit"] for c in per_rule.values())
    n_neg = sum(c["not_secret"] for c in per_rule.values())
    cross = [item for item in flagged if item[2]]
    print(f"\n== Secrets: gitleaks_rule_cases.jsonl: {len(rows)} cases over {len(per_rule)} rules (default kinds)")
    print(f"   recall on `secret` cases:             {n_hit}/{n_secret} = {n_hit / n_secret:.1%}")
    print(f"   hard negatives flagged (raw):          {len(flagged)}/{n_neg} = {len(flagged) / n_neg:.2%}")
    print(
        f"   ... excluding negatives another gitleaks rule itself flags (cross-rule, {len(cross)}): "
        f"{len(flagged) - len(cross)}/{n_neg - len(cross)} = {(len(flagged) - len(cross)) / (n_neg - len(cross)):.2%}"
        f"   [gitleaks.toml: {compiled}/{len(rules)} rule regexes compile in Python]"
    )
    print("   misses (rule: text):")
    for row in misses:
        print(f"      {row['rule_id']}: {row['text'][:110]!r}")
    print("   flagged hard negatives (rule: what fired | gitleaks rules that also fire):")
    for row, findings, others in flagged:
        what = ", ".join(f"{f.kind}" for f in findings)
        print(f"      {row['rule_id']}: {what} | {', '.join(others) or '-'} | {row['text'][:90]!r}")
    with_gcp = sum(bool(everything.scan(r["text"])) for r in rows if r["label"] == "not_secret")
    print(f"   with the opt-in secret.gcp_api_key enabled: hard negatives flagged {with_gcp}/{n_neg}")
    if verbose:
        print("   per rule (secret hit/total, not_secret flagged/total):")
        for rule_id, c in sorted(per_rule.items()):
            print(f"      {rule_id:45s} {c['hit']}/{c['secret']}  {c['flagged']}/{c['not_secret']}")


# ------------------------------------------------------------------------------------------------------------ latency

_WORD_TEXT = (
    "the of and to in is was for on that with as by at from this be are or an it which had not have but were they "
    "one all their we been has when there who more will no if out so what up its about into than them can only other "
    "new some could time these two may first then do any like my now over such our even most made after also did many "
    "before must through back years where much your way well down should because each just those people how too "
    "little state good very make world still own see work long get here between both life being under never day same"
)
_WORDS = _WORD_TEXT.split()
_B64 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+"


def _prose(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


def bench_texts(size: int = 10_240) -> dict[str, str]:
    """Deterministic 10 KB tool outputs of four shapes (+ one that is mostly secrets/PII)."""
    rng = random.Random(7)

    def fill(make: object) -> str:
        parts: list[str] = []
        while sum(map(len, parts)) < size:
            parts.append(make())  # type: ignore[operator]
        return "".join(parts)[:size]

    prose = fill(lambda: _prose(rng, rng.randint(8, 30)) + ". ")
    records = fill(
        lambda: (
            json.dumps(
                {
                    "id": rng.randint(1, 10**9),
                    "created_at": f"2024-05-{rng.randint(1, 28):02d}T12:{rng.randint(0, 59):02d}:33Z",
                    "title": _prose(rng, 5),
                    "price": f"${rng.randint(1, 999)}.{rng.randint(0, 99):02d}",
                    "version": f"v1.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
                    "url": f"https://example.com/items/{rng.randint(1, 9999)}?page=2",
                    "sha": f"{rng.getrandbits(160):040x}",
                }
            )
            + "\n"
        )
    )
    logs = fill(
        lambda: (
            f"2024-05-01 12:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d},{rng.randint(0, 999):03d} INFO "
            f"worker[{rng.randint(1, 99)}] GET /api/v1/items/{rng.randint(1, 99999)} from 10.0.{rng.randint(0, 255)}."
            f"{rng.randint(1, 254)} status=200 in {rng.randint(1, 900)} ms req-{rng.getrandbits(48):x}\n"
        )
    )
    code = fill(
        lambda: rng.choice(
            [
                "def handler(event, context):\n    token = os.environ['API_TOKEN']\n    return {'status': 200}\n",
                "    for index, item in enumerate(items):\n        total += item.price * item.quantity\n",
                "const client = new Client({ baseUrl: config.url, timeout: 3000 });\n",
                "# TODO: retry with exponential backoff (max 5 attempts)\n",
                "if (response.status !== 200) { throw new Error(`request failed: ${response.status}`); }\n",
            ]
        )
    )
    dense = fill(
        lambda: rng.choice(
            [
                f"Contact jane.doe{rng.randint(1, 99)}@example.org or call +1-415-555-{rng.randint(1000, 9999)}. ",
                "card 4111 1111 1111 1111 exp 12/27, ssn 123-45-6788. ",
                f"AWS_SECRET_ACCESS_KEY={''.join(rng.choice(_B64) for _ in range(40))}\n",
                f"Authorization: Bearer {rng.getrandbits(256):064x}\n",
                "postgres://app:Sup3r-s3cret@db.internal:5432/prod ",
                "IBAN GB82 WEST 1234 5698 7654 32, host 192.168.10.24. ",
            ]
        )
    )
    return {"prose": prose, "json": records, "logs": logs, "code": code, "dense-pii-secrets": dense}


def bench(iterations: int) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    sanitizer = Sanitizer()
    texts = bench_texts()
    print(f"\n== Latency: Sanitizer().sanitize() on 10 KB texts, {iterations} calls each, one core (perf_counter_ns)")
    print(f"   {'text':18s} {'findings':>8s} {'p50 ms':>8s} {'p90 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}")
    mixed: list[float] = []
    for name, text in texts.items():
        for _ in range(20):
            sanitizer.sanitize(text)
        samples = []
        for _ in range(iterations):
            begin = time.perf_counter_ns()
            result = sanitizer.sanitize(text)
            samples.append((time.perf_counter_ns() - begin) / 1e6)
        if name != "dense-pii-secrets":
            mixed += samples
        samples.sort()
        q = statistics.quantiles(samples, n=100)
        print(
            f"   {name:18s} {sum(result.counts.values()):8d} {q[49]:8.3f} {q[89]:8.3f} {q[98]:8.3f} {samples[-1]:8.3f}"
        )
    q = statistics.quantiles(sorted(mixed), n=100)
    print(f"   {'ALL (4 shapes)':18s} {'':8s} {q[49]:8.3f} {q[89]:8.3f} {q[98]:8.3f} {max(mixed):8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pii", action="store_true")
    parser.add_argument("--secrets", action="store_true")
    parser.add_argument("--latency", action="store_true")
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--verbose", action="store_true", help="list every PII error and per-rule secret counts")
    args = parser.parse_args()
    run_all = not (args.pii or args.secrets or args.latency)
    if (run_all or args.pii or args.secrets) and not SHARED.is_dir():
        sys.exit(f"corpora not found at {SHARED} (the shared/ folder beside the repo)")
    if run_all or args.pii:
        eval_pii(PRESIDIO / "synth_dataset_v2.json", args.verbose)
        eval_pii(PRESIDIO / "generated_small.json", args.verbose)
    if run_all or args.secrets:
        eval_secrets(args.verbose)
    if run_all or args.latency:
        bench(args.iterations)


if __name__ == "__main__":
    main()
