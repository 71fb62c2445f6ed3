"""Questionnaire definitions and answer rules, on plain values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from questionnaires.loader import check_all
from questionnaires.rules import (
    AnswerInvalid,
    compliance,
    missing_required,
    validate_value,
    visible_ids,
)
from questionnaires.schema import Definition, Question


def definition(*questions: dict) -> Definition:
    return Definition.model_validate({"key": "test-q", "version": "2026.1", "title": "Test",
                                      "sections": [{"id": "main", "title": "Main",
                                                    "questions": list(questions)}]})


YES_NO = {"id": "has_policy", "type": "yes_no", "text": "Do you have a policy?",
          "compliant": ["yes"], "weight": 2, "evidences": ["due_diligence"]}
FOLLOW = {"id": "policy_date", "type": "date", "text": "When was it approved?",
          "show_if": {"question": "has_policy", "any_of": ["yes"]}}
DEEPER = {"id": "policy_owner", "type": "text", "text": "Who owns the policy?",
          "show_if": {"question": "has_policy", "any_of": ["yes"]}}


def test_follow_up_questions_appear_and_disappear():
    d = definition(YES_NO, FOLLOW)
    assert visible_ids(d, {}) == {"has_policy"}
    assert visible_ids(d, {"has_policy": "yes"}) == {"has_policy", "policy_date"}
    assert visible_ids(d, {"has_policy": "no", "policy_date": "2025-01-01"}) == {"has_policy"}


def test_hidden_questions_are_not_required():
    d = definition(YES_NO, FOLLOW)
    assert missing_required(d, {}) == ["has_policy"]
    assert missing_required(d, {"has_policy": "no"}) == []
    assert missing_required(d, {"has_policy": "yes"}) == ["policy_date"]


@pytest.mark.parametrize("bad,message", [
    ({"sections": []}, "at least 1"),
    ({"sections": [{"id": "sec", "title": "Main", "questions": [YES_NO, YES_NO]}]}, "used twice"),
    ({"sections": [{"id": "sec", "title": "Main", "questions": [FOLLOW, YES_NO]}]}, "not an earlier question"),
    ({"sections": [{"id": "sec", "title": "Main", "questions": [
        YES_NO, {**FOLLOW, "show_if": {"question": "has_policy", "any_of": ["maybe"]}}]}]}, "not answers"),
])
def test_unsound_definitions_are_refused(bad, message):
    raw = {"key": "test-q", "version": "2026.1", "title": "Test", **bad}
    with pytest.raises(ValidationError) as error:
        Definition.model_validate(raw)
    assert message in str(error.value)


@pytest.mark.parametrize("question,message", [
    ({"id": "qq", "type": "single_choice", "text": "Pick one please", "options": [
        {"value": "a", "label": "A"}]}, "at least two options"),
    ({"id": "qq", "type": "yes_no", "text": "Weighted but open", "weight": 3}, "compliant"),
    ({"id": "qq", "type": "yes_no", "text": "Compliant is odd", "compliant": ["maybe"],
      "weight": 1, "evidences": ["x"]}, "not options"),
    ({"id": "qq", "type": "text", "text": "Text with options", "options": [
        {"value": "a", "label": "A"}, {"value": "b", "label": "B"}]}, "takes no options"),
])
def test_unsound_questions_are_refused(question, message):
    with pytest.raises(ValidationError) as error:
        Question.model_validate(question)
    assert message in str(error.value)


def test_values_are_checked_in_plain_words():
    yes_no = Question.model_validate(YES_NO)
    assert validate_value(yes_no, "yes") == "yes"
    with pytest.raises(AnswerInvalid, match="Choose one of"):
        validate_value(yes_no, "na")  # not allowed for this question
    number = Question.model_validate({"id": "nn", "type": "number", "text": "How many hours?",
                                      "min": 0, "max": 100})
    assert validate_value(number, "24") == 24
    for bad in (101, "lots", True, float("nan")):
        with pytest.raises(AnswerInvalid):
            validate_value(number, bad)
    date = Question.model_validate(FOLLOW)
    assert validate_value(date, "2025-03-31") == "2025-03-31"
    with pytest.raises(AnswerInvalid, match="real date"):
        validate_value(date, "2025-02-30")
    multi = Question.model_validate({"id": "mm", "type": "multi_choice", "text": "Pick several",
                                     "options": [{"value": "a", "label": "A"},
                                                 {"value": "b", "label": "B"}]})
    assert validate_value(multi, ["b", "a", "b"]) == ["a", "b"]
    assert validate_value(yes_no, None) is None  # clearing an answer


def test_compliance_is_weighted_and_null_when_nothing_scorable():
    d = definition(YES_NO, FOLLOW)
    assert compliance(d, {"has_policy": "yes"})["share"] == 1.0
    assert compliance(d, {"has_policy": "no"})["share"] == 0.0
    assert compliance(d, {})["share"] == 0.0  # unanswered required counts against
    assert compliance(definition(FOLLOW | {"show_if": None}), {})["share"] is None


def test_shipped_definitions_are_valid_and_the_checker_names_faults(tmp_path):
    definitions, faults = check_all()
    assert faults == [] and len(definitions) == 4
    (tmp_path / "broken.yaml").write_text(
        "key: broken\nversion: '2026.1'\ntitle: Broken one\nsections:\n"
        "  - id: main\n    title: Main\n    questions:\n"
        "      - {id: first_q, type: yes_no, text: Is this fine?,"
        " show_if: {question: later_q, any_of: ['yes']}}\n"
        "      - {id: later_q, type: yes_no, text: Is this later?}\n")
    _, faults = check_all(tmp_path)
    assert len(faults) == 1
    assert "broken.yaml" in str(faults[0]) and "first_q" in str(faults[0])


def test_content_hash_changes_with_content():
    a = definition(YES_NO)
    b = definition({**YES_NO, "text": "Do you have a written policy?"})
    assert a.content_hash != b.content_hash
    assert a.content_hash == definition(YES_NO).content_hash


GATE = {"id": "has_owner", "type": "yes_no", "text": "Does it have an owner?",
        "show_if": {"question": "has_policy", "any_of": ["yes"]}}
CHAINED = {"id": "owner_named", "type": "text", "text": "Who is the owner?",
           "show_if": {"question": "has_owner", "any_of": ["yes"]}}
OTHER = {"id": "other", "type": "yes_no", "text": "Something else?"}


def test_reopening_an_answer_reopens_what_it_can_reveal():
    from questionnaires.rules import follow_ups

    d = definition(YES_NO, FOLLOW, GATE, CHAINED, DEEPER, OTHER)
    assert follow_ups(d, ["has_policy"]) == {"policy_date", "has_owner", "owner_named",
                                             "policy_owner"}
    assert follow_ups(d, ["other"]) == set()
    assert follow_ups(d, ["has_owner"]) == {"owner_named"}


def test_newly_revealed_questions_are_the_unanswered_ones_the_new_answers_show():
    from questionnaires.rules import newly_revealed

    d = definition(YES_NO, FOLLOW, DEEPER, OTHER)
    everything = {"has_policy", "policy_date", "policy_owner", "other"}
    assert newly_revealed(d, {}, {"has_policy": "yes"}, everything) == ["policy_date",
                                                                       "policy_owner"]
    # Already shown before, answered now, or outside the section: not "revealed".
    assert newly_revealed(d, {"has_policy": "yes"}, {"has_policy": "yes"}, everything) == []
    assert newly_revealed(d, {}, {"has_policy": "yes", "policy_date": "2025-01-01",
                                  "policy_owner": "Ann"}, everything) == []
    assert newly_revealed(d, {}, {"has_policy": "yes"}, {"has_policy"}) == []
    assert newly_revealed(d, {"has_policy": "yes"}, {"has_policy": "no"}, everything) == []


@pytest.mark.parametrize(("text", "expected"), [
    (None, ""), ("  padded  ", "padded"), ("a\r\nb\rc", "a\nb\nc"), ("tab\there", "tab\there"),
    ("x" * 5000, "x" * 5000),
])
def test_replies_are_normalised(text, expected):
    from questionnaires.rules import clean_reply

    assert clean_reply(text) == expected


@pytest.mark.parametrize(("text", "words"), [
    ("x" * 5001, "5,000 characters or fewer"), ("bell\x07", "control characters"),
    ("nul\x00", "control characters"), ("del\x7f", "control characters"), (["list"], "text"),
])
def test_replies_refused_in_words(text, words):
    from questionnaires.rules import clean_reply

    with pytest.raises(AnswerInvalid, match=words):
        clean_reply(text)
