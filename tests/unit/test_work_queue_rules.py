"""The work queue's plain rules: who gets the next submission, how long work has waited,
whether an answer meets its requirement and which answers a review filter keeps."""

from __future__ import annotations

import datetime as dt

from portal.assessments.fairness import ReviewerLoad, age_days, choose_reviewer, policy_or_default
from questionnaires.rules import meets_requirement, review_filter
from questionnaires.schema import Question

T0 = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)


def test_fewest_open_items_wins_then_longest_since_assigned_then_lowest_id():
    assert choose_reviewer([]) is None
    assert choose_reviewer([ReviewerLoad(7, 3), ReviewerLoad(3, 1), ReviewerLoad(5, 2)]) == 3
    tied = [ReviewerLoad(4, 1, T0), ReviewerLoad(9, 1, T0 - dt.timedelta(days=2))]
    assert choose_reviewer(tied) == 9
    never = [ReviewerLoad(4, 0, T0), ReviewerLoad(9, 0, None)]
    assert choose_reviewer(never) == 9
    assert choose_reviewer([ReviewerLoad(8, 0), ReviewerLoad(2, 0)]) == 2


def test_round_robin_over_many_submissions_stays_even():
    loads = {1: 0, 2: 0, 3: 0}
    last: dict[int, dt.datetime] = {}
    for n in range(9):
        chosen = choose_reviewer([ReviewerLoad(u, c, last.get(u)) for u, c in loads.items()])
        loads[chosen] += 1
        last[chosen] = T0 + dt.timedelta(minutes=n)
    assert loads == {1: 3, 2: 3, 3: 3}


def test_unknown_policy_falls_back_to_round_robin():
    assert policy_or_default("unassigned") == "unassigned"
    assert policy_or_default("") == "round_robin" and policy_or_default(None) == "round_robin"


def test_age_in_whole_days():
    today = dt.date(2026, 11, 10)
    assert age_days(None, today) is None
    assert age_days(dt.datetime(2026, 11, 10, 23, tzinfo=dt.UTC), today) == 0
    assert age_days(dt.datetime(2026, 11, 3, 1, tzinfo=dt.UTC), today) == 7
    assert age_days(dt.date(2026, 12, 1), today) == 0  # never negative


def question(**values) -> Question:
    return Question.model_validate({"id": "mfa", "type": "single_choice", "text": "Where is MFA required?",
                                    "options": [{"value": v, "label": v} for v in
                                                ("all", "some", "none")], **values})


def test_meets_requirement_judges_only_questions_that_name_compliant_answers():
    scored = question(compliant=["all"], weight=2, evidences=["due_diligence"])
    assert meets_requirement(scored, "all") is True
    assert meets_requirement(scored, "some") is False
    assert meets_requirement(scored, None) is None and meets_requirement(scored, "") is None
    assert meets_requirement(question(), "all") is None
    multi = Question.model_validate({"id": "which", "type": "multi_choice", "text": "Which ones apply?",
                                     "options": [{"value": "a", "label": "a"},
                                                 {"value": "b", "label": "b"}],
                                     "compliant": ["b"], "weight": 1,
                                     "evidences": ["due_diligence"]})
    assert meets_requirement(multi, ["a", "b"]) is True and meets_requirement(multi, ["a"]) is False


def test_review_filter():
    assert review_filter("all", meets=None, last_decision=None, open_for_clarification=False)
    assert review_filter("unmet", meets=False, last_decision=None, open_for_clarification=False)
    assert not review_filter("unmet", meets=None, last_decision=None, open_for_clarification=False)
    assert not review_filter("unmet", meets=True, last_decision=None, open_for_clarification=False)
    assert review_filter("queried", meets=True, last_decision="query", open_for_clarification=False)
    assert review_filter("queried", meets=True, last_decision=None, open_for_clarification=True)
    assert not review_filter("queried", meets=False, last_decision="accepted",
                             open_for_clarification=False)
