"""The assessment state machine, on plain values."""

from __future__ import annotations

import pytest

from questionnaires import states
from questionnaires.states import State as S

HAPPY_PATH = [S.draft, S.sent, S.opened, S.in_progress, S.submitted, S.in_review,
              S.clarification_requested, S.resubmitted, S.in_review, S.accepted]


def test_the_documented_path_is_allowed_step_by_step():
    for current, wanted in zip(HAPPY_PATH, HAPPY_PATH[1:]):
        assert states.can_move(current, wanted), (current, wanted)
    assert states.can_move(S.in_review, S.rejected)
    assert states.can_move(S.resubmitted, S.clarification_requested)  # clarification <-> resubmitted


@pytest.mark.parametrize("current,wanted", [
    (S.accepted, S.in_progress), (S.rejected, S.accepted), (S.accepted, S.revoked),
    (S.draft, S.submitted), (S.sent, S.accepted), (S.in_progress, S.in_review),
    (S.submitted, S.in_progress), (S.clarification_requested, S.accepted),
    (S.revoked, S.submitted), (S.expired, S.accepted), (S.submitted, S.expired),
    (S.sent, S.draft),
])
def test_illegal_moves_are_refused_in_plain_words(current, wanted):
    assert not states.can_move(current, wanted)
    with pytest.raises(states.IllegalTransition) as refused:
        states.check_move(current, wanted)
    message = str(refused.value)
    assert "_" not in message and states.describe(current) in message


def test_decided_assessments_go_nowhere_and_every_state_is_described():
    for state in states.DECIDED:
        assert states.allowed_moves(state) == frozenset()
    for state in S:
        assert states.describe(state) and "_" not in states.describe(state)
        assert states.allowed_moves(state) <= states.ALL


def test_groups():
    assert states.OPEN_FOR_ANSWERS == {S.sent, S.opened, S.in_progress, S.clarification_requested}
    assert states.AWAITING_REVIEW == {S.submitted, S.resubmitted, S.in_review}
    assert S.draft not in states.LIVE_LINK and S.revoked not in states.LIVE_LINK
    assert S.expired not in states.LIVE_LINK and S.accepted in states.LIVE_LINK
    assert states.CLOSED.isdisjoint(states.PENDING)
    assert states.OPEN_FOR_ANSWERS.isdisjoint(states.AWAITING_REVIEW)
    # Every open state can be revoked; a live link in an open state can expire.
    for state in states.OPEN_FOR_ANSWERS:
        assert states.can_move(state, S.revoked) and states.can_move(state, S.expired)


def test_submit_reissue_and_editing_rules():
    assert states.after_submit(S.in_progress) == S.submitted
    assert states.after_submit(S.clarification_requested) == S.resubmitted
    assert states.after_reissue(S.revoked, has_answers=True) == S.in_progress
    assert states.after_reissue(S.expired, has_answers=False) == S.sent
    assert states.after_reissue(S.submitted, has_answers=True) == S.submitted
    for state in S:
        target = states.after_reissue(state, has_answers=True)
        assert states.can_reissue(state) == states.can_move(state, target), state
    assert not states.can_reissue(S.accepted) and not states.can_reissue(S.draft)
    assert states.answer_editable(S.in_progress, reopened=False)
    assert not states.answer_editable(S.clarification_requested, reopened=False)
    assert states.answer_editable(S.clarification_requested, reopened=True)
    assert not states.answer_editable(S.submitted, reopened=True)


def test_no_module_or_template_keeps_its_own_list_of_states():
    """Groups of states come from questionnaires/states.py, not copied string sets."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    name = "|".join(sorted(states.ALL))
    copied = re.compile(rf"""["']({name})["']\s*,\s*["']({name})["']""")
    found = []
    for path in [*root.glob("portal/**/*.py"), *root.glob("portal/templates/**/*.html"),
                 *root.glob("admin/**/*.py")]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if copied.search(line):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert found == [], found
