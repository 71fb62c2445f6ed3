"""The assessment state machine, on plain values: the states, the allowed moves, the groups.

draft -> sent -> opened -> in_progress -> submitted -> in_review -> clarification_requested
<-> resubmitted -> accepted | rejected; any state still open can be revoked, and a live link
expires. Every module and template that asks "can this be answered / reviewed / is its link
live" asks here, so the answer is the same everywhere.
"""

from __future__ import annotations

from enum import StrEnum
from types import SimpleNamespace


class State(StrEnum):
    draft = "draft"
    sent = "sent"
    opened = "opened"
    in_progress = "in_progress"
    submitted = "submitted"
    in_review = "in_review"
    clarification_requested = "clarification_requested"
    resubmitted = "resubmitted"
    accepted = "accepted"
    rejected = "rejected"
    revoked = "revoked"
    expired = "expired"


S = State
ALL: frozenset[str] = frozenset(State)

# The supplier may change answers (during clarification, only the questions reopened).
OPEN_FOR_ANSWERS: frozenset[str] = frozenset({S.sent, S.opened, S.in_progress,
                                              S.clarification_requested})
# Waiting for a reviewer's decision.
AWAITING_REVIEW: frozenset[str] = frozenset({S.submitted, S.resubmitted, S.in_review})
# The supplier has answered at least once (what a later assessment compares against).
ANSWERED: frozenset[str] = AWAITING_REVIEW | {S.clarification_requested, S.accepted, S.rejected}
# A decision was made.
DECIDED: frozenset[str] = frozenset({S.accepted, S.rejected})
# Nothing more happens without a new link or a new assessment.
CLOSED: frozenset[str] = DECIDED | {S.revoked, S.expired}
# The link opens the questionnaire (to answer, or to see what was sent).
LIVE_LINK: frozenset[str] = ALL - {S.draft, S.revoked, S.expired}
# Still in play: neither decided nor ended (chasers, "pending" in scoring).
PENDING: frozenset[str] = ALL - CLOSED

_MOVES: dict[str, frozenset[str]] = {
    S.draft: frozenset({S.sent, S.revoked}),
    S.sent: frozenset({S.opened, S.in_progress, S.submitted, S.revoked, S.expired, S.sent}),
    S.opened: frozenset({S.in_progress, S.submitted, S.revoked, S.expired, S.opened}),
    S.in_progress: frozenset({S.submitted, S.revoked, S.expired, S.in_progress}),
    S.submitted: frozenset({S.in_review, S.clarification_requested, S.accepted, S.rejected,
                            S.revoked, S.submitted}),
    S.in_review: frozenset({S.clarification_requested, S.accepted, S.rejected, S.revoked,
                            S.in_review}),
    S.clarification_requested: frozenset({S.resubmitted, S.revoked, S.expired,
                                          S.clarification_requested}),
    S.resubmitted: frozenset({S.in_review, S.clarification_requested, S.accepted, S.rejected,
                              S.revoked, S.resubmitted}),
    S.accepted: frozenset(),
    S.rejected: frozenset(),
    # A reissued link brings an ended assessment back to where the answers left it.
    S.revoked: frozenset({S.sent, S.in_progress}),
    S.expired: frozenset({S.sent, S.in_progress}),
}
# A move to the same state is a reissue (new link, same stage); only open states allow it.

_WORDS: dict[str, str] = {
    S.draft: "a draft", S.sent: "sent", S.opened: "opened", S.in_progress: "in progress",
    S.submitted: "submitted", S.in_review: "in review",
    S.clarification_requested: "waiting for clarification", S.resubmitted: "resubmitted",
    S.accepted: "accepted", S.rejected: "rejected", S.revoked: "revoked",
    S.expired: "expired",
}


class IllegalTransition(ValueError):
    """A move the state machine does not allow; the message is for the person asking."""

    def __init__(self, current: str, wanted: str) -> None:
        self.current, self.wanted = current, wanted
        super().__init__(f"This assessment is {describe(current)}, so it can't become "
                         f"{describe(wanted)}.")


def describe(state: str) -> str:
    return _WORDS.get(state, state)


def can_move(current: str, wanted: str) -> bool:
    return wanted in _MOVES.get(current, frozenset())


def check_move(current: str, wanted: str) -> None:
    if not can_move(current, wanted):
        raise IllegalTransition(current, wanted)


def allowed_moves(current: str) -> frozenset[str]:
    return _MOVES.get(current, frozenset())


def after_submit(current: str) -> str:
    """Submitting the first time gives `submitted`; after a clarification, `resubmitted`."""
    return S.resubmitted if current == S.clarification_requested else S.submitted


def after_reissue(current: str, *, has_answers: bool) -> str:
    """A new link keeps the stage; an ended (revoked/expired) one reopens for answers."""
    if current in (S.revoked, S.expired):
        return S.in_progress if has_answers else S.sent
    return current


def can_reissue(current: str) -> bool:
    return current not in DECIDED and current != S.draft


def answer_editable(current: str, *, reopened: bool) -> bool:
    """May the supplier change one answer? During clarification only reopened questions."""
    if current not in OPEN_FOR_ANSWERS:
        return False
    return current != S.clarification_requested or reopened


def as_template_globals() -> dict[str, object]:
    """The groups and rules for Jinja templates (so they keep no lists of their own):
    `a.status in states.awaiting_review`, `states.describe(a.status)`."""
    return {"states": SimpleNamespace(
        **{state.name: state.value for state in State},
        open_for_answers=OPEN_FOR_ANSWERS, awaiting_review=AWAITING_REVIEW, answered=ANSWERED,
        decided=DECIDED, closed=CLOSED, live_link=LIVE_LINK, pending=PENDING,
        describe=describe, can_reissue=can_reissue, answer_editable=answer_editable)}
