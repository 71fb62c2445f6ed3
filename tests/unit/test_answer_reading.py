"""Reading accepted answers (scoring/answers.py): knock-outs, evidence on the question it
backs, and the "x of y compliant, z evidenced, w checked" counts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from portal.scoring.answers import knockouts, read
from questionnaires.loader import shipped
from questionnaires.schema import Definition

CORE = shipped()["ndg10-supplier-due-diligence"]
FACTORS = {"asserted": 0.7, "evidenced": 0.85, "checked": 1.0}


def _definition(questions):
    return Definition.model_validate({"key": "test-def", "version": "2026.1", "title": "Test",
                                      "sections": [{"id": "main", "title": "Section",
                                                    "questions": questions}]})


def test_the_shipped_due_diligence_marks_the_six_knock_outs():
    marked = {q.id for q in CORE.questions() if q.knockout}
    assert marked == {"transfer_safeguards", "mfa", "incident_plan", "unsupported_plan_agreed",
                      "breach_notification_hours", "subprocessor_contracts"}


def test_knock_outs_fire_only_on_visible_answers():
    hits = knockouts(CORE, {"data_in_uk": "no", "transfer_safeguards": "none", "mfa": "none",
                            "breach_notification_hours": 96, "incident_plan": "yes"})
    assert {h.question_id for h in hits} == {"transfer_safeguards", "mfa",
                                             "breach_notification_hours"}
    assert next(h for h in hits if h.question_id == "transfer_safeguards").answer == \
        "No safeguard in place"
    # hidden by its condition: the UK-only supplier's stale transfer answer does not count
    assert knockouts(CORE, {"data_in_uk": "yes", "transfer_safeguards": "none"}) == []
    assert knockouts(CORE, {"breach_notification_hours": 72}) == []


def test_mfa_for_remote_and_admin_access_meets_nhs_england_policy():
    mfa = CORE.question("mfa")
    assert "remote_admin" in mfa.compliant and "none" in mfa.knockout.answers


def test_evidence_counts_for_the_question_it_backs():
    definition = _definition([
        {"id": "ce_held", "type": "yes_no", "text": "Do you hold Cyber Essentials?",
         "compliant": ["yes"], "weight": 3, "evidences": ["certified"]},
        {"id": "ce_file", "type": "file", "text": "Upload the certificate.",
         "evidence_for": "ce_held", "show_if": {"question": "ce_held", "any_of": ["yes"]}},
        {"id": "mfa_all", "type": "yes_no", "text": "Is MFA required everywhere?",
         "compliant": ["yes"], "weight": 1, "evidences": ["due_diligence"]}])
    answers = {"ce_held": "yes", "ce_file": [11], "mfa_all": "yes"}
    reading = read(definition, answers, evidence_questions={"ce_file"}, checked=set(),
                   factors=FACTORS)
    assert (reading.compliant, reading.scorable, reading.evidenced, reading.checked) == (2, 2, 1, 0)
    assert reading.share == pytest.approx((3 * 0.85 + 1 * 0.7) / 4)
    checked = read(definition, answers, evidence_questions={"ce_file"}, checked={"mfa_all"},
                   factors=FACTORS)
    assert checked.checked == 1 and checked.share == pytest.approx((3 * 0.85 + 1.0) / 4)
    empty = _definition([{"id": "notes", "type": "text", "text": "Anything else?"}])
    assert read(empty, {}, evidence_questions=set(), checked=set(), factors=FACTORS).share is None


def test_unsound_knock_outs_are_refused():
    base = {"id": "q1", "type": "yes_no", "text": "Is there a plan?", "compliant": ["yes"],
            "weight": 1, "evidences": ["due_diligence"]}
    for knockout in ({"answers": ["maybe"], "reason": "No plan at all", "criterion": "NDG 6"},
                     {"answers": ["yes"], "reason": "No plan at all", "criterion": "NDG 6"},
                     {"above": 3, "reason": "No plan at all", "criterion": "NDG 6"}):
        with pytest.raises(ValidationError):
            _definition([{**base, "knockout": knockout}])
    with pytest.raises(ValidationError):
        _definition([{"id": "n", "type": "number", "text": "How many hours?",
                      "knockout": {"answers": ["1"], "reason": "Too slow", "criterion": "x"}}])
    with pytest.raises(ValidationError):
        _definition([{"id": "f", "type": "file", "text": "Upload it please",
                      "evidence_for": "nothing"}])
