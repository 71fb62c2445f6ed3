"""Clause recognition against our labelled corpus: precision and recall per key."""

from __future__ import annotations

from collections import Counter

import pytest

from portal.contracts.library import KEYS, library, required_keys
from portal.contracts.reader import UnreadableContract, read_blocks
from portal.contracts.scanner import hours_in, scan_docx
from tests.contract_corpus import corpus

CORPUS = corpus()


def test_library_has_the_21_keys_with_model_clauses():
    clauses = library()
    assert tuple(clauses) == KEYS and len(KEYS) == 21
    assert all(c.model_clause and c.legal_basis and c.description for c in clauses.values())


def test_required_clauses_follow_the_contract():
    processor = required_keys(data_role="processor", personal_data=True, patient_data=False)
    assert set(processor) == {k for k in KEYS if k.startswith("art28.")} | {
        "breach.notification", "transfers.international"}
    patient = required_keys(data_role="processor", personal_data=True, patient_data=True)
    assert {"nhs.dspt_compliance", "nhs.cyber_essentials", "nhs.security_alerts",
            "staff.training", "continuity.bcdr", "exit.transition"} <= set(patient)
    assert required_keys(data_role="none", personal_data=False, patient_data=False) == []


@pytest.mark.parametrize("text,hours", [
    ("within forty-eight (48) hours", 48), ("within 24 hours", 24), ("72 hours", 72),
    ("within seventy-two hours of becoming aware", 72), ("within two (2) Business Days", 48),
    ("without undue delay", None), ("within twenty four hours", 24)])
def test_breach_window_in_words_or_digits(text, hours):
    assert hours_in(text) == hours


def test_precision_and_recall_per_key(capsys):
    tp, fp, fn = Counter(), Counter(), Counter()
    hours_right = 0
    for contract in CORPUS:
        result = scan_docx(contract.data)
        found = {f.key for f in result.clauses if f.present}
        for key in KEYS:
            if key in found and key in contract.present:
                tp[key] += 1
            elif key in found:
                fp[key] += 1
            elif key in contract.present:
                fn[key] += 1
        hours_right += result.breach_notification_hours == contract.breach_hours
    lines = ["", f"{'clause key':38} precision recall (tp/fp/fn)"]
    for key in KEYS:
        precision = tp[key] / (tp[key] + fp[key]) if tp[key] + fp[key] else 1.0
        recall = tp[key] / (tp[key] + fn[key]) if tp[key] + fn[key] else 1.0
        lines.append(f"{key:38} {precision:9.2f} {recall:6.2f} ({tp[key]}/{fp[key]}/{fn[key]})")
    total_p = sum(tp.values()) / (sum(tp.values()) + sum(fp.values()))
    total_r = sum(tp.values()) / (sum(tp.values()) + sum(fn.values()))
    lines.append(f"{'all keys':38} {total_p:9.2f} {total_r:6.2f}; breach hours right in "
                 f"{hours_right}/{len(CORPUS)} contracts")
    with capsys.disabled():
        print("\n".join(lines))
    assert total_p >= 0.95 and total_r >= 0.95
    assert hours_right == len(CORPUS)


def test_decoys_count_for_nothing_and_negations_are_explained():
    decoy = next(c for c in CORPUS if c.name == "decoys")
    result = scan_docx(decoy.data).by_key()
    assert not any(f.present for f in result.values())
    assert "not required" in result["nhs.cyber_essentials"].reason


def test_locations_come_from_numbering_headings_tables_and_footers():
    by_name = {c.name: scan_docx(c.data).by_key() for c in CORPUS}
    assert by_name["legalese"]["art28.sub_processors"].location.endswith("clause 5.5")
    assert "Data protection" in by_name["legalese"]["art28.sub_processors"].location
    assert "footer" in by_name["legalese"]["nhs.dspt_compliance"].location
    assert "Schedule 3" in by_name["schedule-tables"]["art28.subject_matter"].location
    assert "table row" in by_name["schedule-tables"]["nhs.dspt_compliance"].location
    assert by_name["schedule-tables"]["art28.sub_processors"].present  # nested table
    assert by_name["mixed-numbering"]["breach.notification"].status == "partial"
    assert by_name["mixed-numbering"]["art28.deletion_or_return"].status == "partial"
    assert by_name["schedule-tables"]["breach.notification"].status == "partial"  # 72 hours


@pytest.mark.parametrize("data", [b"not a zip at all", b"PK\x03\x04broken", b""])
def test_unreadable_documents_are_refused(data):
    with pytest.raises(UnreadableContract):
        read_blocks(data)
