"""Tamper detection on a real 10,000-event trail: every kind of tampering is detected and reported by kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hooks.audit.canonical import canonical_bytes
from hooks.audit.chain import key_for_epoch, record_mac
from hooks.audit.keys import load_verifier
from hooks.audit.verify import verify_lines
from tests.audit.helpers import build_trail, is_checkpoint, new_keys, record, verify, writer

N = 10_000


@pytest.fixture(scope="module")
def trail(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bytes]]:
    keys = new_keys(tmp_path_factory.mktemp("tamper"))
    return keys, build_trail(keys, N)


def _event_index(lines: list[bytes], seq: int) -> int:
    assert record(lines[seq])["seq"] == seq
    return seq


def test_intact_trail_verifies(trail: tuple[Path, list[bytes]]) -> None:
    keys, lines = trail
    report = verify(keys, lines)
    assert report.ok, report.to_json()["findings"]
    assert report.unique == N + 100
    assert report.checkpoints == 100


def test_modified_field(trail: tuple[Path, list[bytes]]) -> None:
    keys, lines = trail
    tampered = list(lines)
    rec = record(tampered[4321])
    rec["detail"]["input"]["cmd"] = "rm -rf /"
    tampered[4321] = canonical_bytes(rec)
    report = verify(keys, tampered)
    assert report.kinds() == {"modified"}
    assert next(f for f in report.findings if f.kind == "modified").seqs == [4321]


def test_deleted_record(trail: tuple[Path, list[bytes]]) -> None:
    keys, lines = trail
    tampered = lines[:777] + lines[778:]
    report = verify(keys, tampered)
    assert "deleted" in report.kinds()
    assert next(f for f in report.findings if f.kind == "deleted").seqs == [777]
    assert report.kinds() <= {"deleted", "modified"}


def test_deleted_checkpoint_record(trail: tuple[Path, list[bytes]]) -> None:
    keys, lines = trail
    cp = next(i for i in range(500, 700) if is_checkpoint(lines[i]))
    report = verify(keys, lines[:cp] + lines[cp + 1 :])
    assert next(f for f in report.findings if f.kind == "deleted").seqs == [cp]


def test_truncated_tail(trail: tuple[Path, list[bytes]]) -> None:
    keys, lines = trail
    report = verify(keys, lines[:-50])
    assert {"truncated", "unanchored_tail"} <= report.kinds()
    tail = next(f for f in report.findings if f.kind == "unanchored_tail")
    assert tail.seqs[-1] == len(lines) - 51


def test_truncated_back_to_a_checkpoint(trail: tuple[Path, list[bytes]]) -> None:
    keys, lines = trail
    cut = max(i for i in range(len(lines) - 300) if is_checkpoint(lines[i]))
    report = verify(keys, lines[: cut + 1])
    assert report.kinds() == {"truncated"}


def test_reordered_two(trail: tuple[Path, list[bytes]]) -> None:
    keys, lines = trail
    tampered = list(lines)
    tampered[300], tampered[301] = tampered[301], tampered[300]
    report = verify(keys, tampered)
    assert report.kinds() == {"reordered"}
    tampered = list(lines)
    tampered[1000], tampered[2000] = tampered[2000], tampered[1000]
    report = verify(keys, tampered)
    assert report.kinds() == {"reordered"}


def test_replayed_old_record(trail: tuple[Path, list[bytes]]) -> None:
    keys, lines = trail
    tampered = [*lines[:5000], lines[200], *lines[5000:]]
    report = verify(keys, tampered)
    assert report.kinds() == {"replayed"}
    assert next(f for f in report.findings if f.kind == "replayed").seqs == [200]


def test_redelivery_is_not_tampering(trail: tuple[Path, list[bytes]]) -> None:
    keys, lines = trail
    # A crash after delivery but before the cursor moved: the same batch arrives again, then the rest.
    redelivered = [*lines[:5050], *lines[4950:]]
    report = verify(keys, redelivered)
    assert report.ok, report.to_json()["findings"]
    assert report.duplicates == 100


def test_record_macd_with_a_later_key(trail: tuple[Path, list[bytes]]) -> None:
    """An attacker who stole the key of epoch 90 rewrites a record of epoch 10 (journald CVE-2023-31439)."""
    keys, lines = trail
    seed, _, _ = load_verifier(keys)
    stolen = key_for_epoch(seed, 90)
    rec = record(lines[1010])
    assert rec["epoch"] == 10
    for claimed in (10, 90):
        forged = dict(rec, detail={**rec["detail"], "tool": "exfiltrate"}, epoch=claimed)
        forged["mac"] = record_mac(stolen, forged).hex()
        tampered = list(lines)
        tampered[1010] = canonical_bytes(forged)
        report = verify(keys, tampered)
        assert "wrong_epoch" in report.kinds(), claimed
        assert next(f for f in report.findings if f.kind == "wrong_epoch").seqs == [1010]


def test_forged_checkpoint_signature(trail: tuple[Path, list[bytes]]) -> None:
    keys, lines = trail
    seed, _, _ = load_verifier(keys)
    cp_index = next(i for i in range(3000, 3200) if is_checkpoint(lines[i]))
    rec = record(lines[cp_index])
    rec["detail"]["dropped"] = 0 if rec["detail"]["dropped"] else 5
    rec["mac"] = record_mac(key_for_epoch(seed, rec["epoch"]), rec).hex()  # even with the right MAC key
    tampered = list(lines)
    tampered[cp_index] = canonical_bytes(rec)
    report = verify(keys, tampered)
    assert "bad_checkpoint" in report.kinds()


def test_whole_trail_rewritten_with_another_key(tmp_path: Path, trail: tuple[Path, list[bytes]]) -> None:
    keys, _ = trail
    other = new_keys(tmp_path)
    report = verify(keys, build_trail(other, 300))
    assert {"modified", "bad_checkpoint"} <= report.kinds()


def test_cadence_gap_and_dropped(tmp_path: Path) -> None:
    keys = new_keys(tmp_path)
    lines = build_trail(keys, 1000, gap_after_batch=4)
    report = verify(keys, lines)
    assert report.kinds() == {"cadence_gap"}
    keys2 = new_keys(tmp_path / "b")
    w = writer(keys2)
    lines = [canonical_bytes(r) for r in w.write_batch([], dropped=3, final=True)]
    report = verify(keys2, lines)
    assert report.kinds() == {"dropped"}


def test_unparsable_line(trail: tuple[Path, list[bytes]]) -> None:
    keys, lines = trail
    report = verify(keys, [*lines[:10], b"{not json", *lines[10:]])
    assert report.kinds() == {"unparsable"}
    assert json.dumps(report.to_json())


def test_a_write_torn_by_a_crash_and_redelivered_is_not_a_finding(trail: tuple[Path, list[bytes]]) -> None:
    """kill -9 mid-write leaves a fragment; the file sink starts its next write on a fresh line and the spool
    redelivers the batch: the fragment is a prefix of a later whole record, so it is counted, not reported."""
    keys, lines = trail
    report = verify(keys, [*lines[:10], lines[10][:37], *lines[10:]])
    assert report.ok and report.torn_writes == 1
    # A fragment of nothing the file holds later is still a finding, and so is a torn tail never redelivered.
    assert verify(keys, [*lines[:10], b'{"action":"not-in-this-trail', *lines[10:]]).kinds() == {"unparsable"}
    assert verify(keys, [*lines, lines[10][:37]]).kinds() == {"unparsable"}


def test_truncation_is_caught_by_checkpoints_another_sink_holds(trail: tuple[Path, list[bytes]]) -> None:
    """The local file lost its last 150 records; a SIEM that kept only the checkpoints proves they existed."""
    keys, lines = trail
    seed, _, public = load_verifier(keys)
    local = lines[:-150]
    siem = [line for line in lines if is_checkpoint(line)]
    numbered = [(0, i + 1, line) for i, line in enumerate(local)] + [(1, i + 1, line) for i, line in enumerate(siem)]
    report = verify_lines(numbered, seed, public)
    assert "deleted" in report.kinds()
    deleted = next(f for f in report.findings if f.kind == "deleted").seqs
    assert deleted[0] == len(lines) - 150
    assert len(deleted) == 150 - sum(1 for line in lines[-150:] if is_checkpoint(line))


def test_public_key_only_verification(trail: tuple[Path, list[bytes]]) -> None:
    keys, lines = trail
    _, _, public = load_verifier(keys)

    def check(tampered: list[bytes]) -> set[str]:
        report = verify_lines([(0, i + 1, line) for i, line in enumerate(tampered)], None, public)
        assert report.public_only
        return report.kinds()

    assert check(lines) == set()
    rec = record(lines[4321])
    rec["actor"] = "someone-else"
    assert check([*lines[:4321], canonical_bytes(rec), *lines[4322:]]) == {"modified"}
    assert "deleted" in check(lines[:100] + lines[101:])
    assert {"truncated", "unanchored_tail"} <= check(lines[:-50])
