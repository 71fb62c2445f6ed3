"""Assigning submissions to reviewers: round robin on submit (the organisation's policy) and by
hand from the review page, both audited.

Race-safe: the reviewers' staff rows are locked (PostgreSQL: SELECT ... FOR UPDATE, always in
id order; SQLite's BEGIN IMMEDIATE already serialises writers) before their loads are read,
so two submissions at once in two workers take turns and the second sees the first's pick.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.apps.user.tables import BaseUser
from piccolo.query.functions.aggregate import Count, Max

from models.tables import Assessment, Organisation, StaffMember
from portal.assessments.fairness import (
    POLICIES,
    ROUND_ROBIN,
    ReviewerLoad,
    choose_reviewer,
    policy_or_default,
)
from portal.core import audit
from portal.core.db import engine
from portal.core.errors import InvalidInput, NotFound
from portal.core.organisation import OrganisationPatch, update_organisation
from portal.core.permissions import MATRIX
from portal.core.security import now
from questionnaires import states
from questionnaires.states import State

# Who may review is who may be assigned: the permission matrix says (admin, reviewer).
REVIEW_ROLES: tuple[str, ...] = tuple(sorted(MATRIX["assessments.review"]))
# Work that still waits on its reviewer (or on the supplier's reply to them).
OPEN_FOR_REVIEWER: tuple[str, ...] = tuple(sorted(states.AWAITING_REVIEW
                                                  | {State.clarification_requested}))


async def reviewers(*, lock: bool = False) -> list[dict[str, Any]]:
    """Active staff who can review: id, username, email, role (ordered by user id)."""
    query = StaffMember.select(
        StaffMember.user.as_alias("user_id"), StaffMember.role,
        StaffMember.user.username.as_alias("username"),
        StaffMember.user.email.as_alias("email"),
    ).where(StaffMember.role.is_in(list(REVIEW_ROLES))
            & (StaffMember.user.active == True)).order_by(StaffMember.user)  # noqa: E712
    if lock and engine().engine_type == "postgres":
        query = query.lock_rows("UPDATE", of=(StaffMember,))
    return await query


async def loads(user_ids: list[int]) -> list[ReviewerLoad]:
    if not user_ids:
        return []
    open_counts = {r["assigned_to"]: r["n"] for r in await Assessment.select(
        Assessment.assigned_to, Count(Assessment.id, alias="n")).where(
        Assessment.assigned_to.is_in(user_ids)
        & Assessment.status.is_in(list(OPEN_FOR_REVIEWER))).group_by(Assessment.assigned_to)}
    latest = {r["assigned_to"]: r["at"] for r in await Assessment.select(
        Assessment.assigned_to, Max(Assessment.assigned_at, alias="at")).where(
        Assessment.assigned_to.is_in(user_ids)).group_by(Assessment.assigned_to)}
    return [ReviewerLoad(user_id=u, open_items=open_counts.get(u, 0),
                         last_assigned_at=_moment(latest.get(u))) for u in user_ids]


def _moment(value: Any) -> dt.datetime | None:
    """SQLite hands an aggregate (MAX) of a timestamp back as text, PostgreSQL as a datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


async def policy() -> str:
    row = await Organisation.select(Organisation.review_assignment).first()
    return policy_or_default(row["review_assignment"] if row else None)


async def set_policy(value: str) -> str:
    """The work queue's choice, saved through the organisation's one write path (audited as
    ``organisation.updated``, like the settings page and PATCH /api/v1/organisation)."""
    if value not in POLICIES:
        raise InvalidInput("Choose how submissions are assigned.")
    if not await Organisation.exists().where(Organisation.id.is_not_null()):
        raise NotFound("Set up the organisation first (portal demo or the back office).")
    await update_organisation(OrganisationPatch(review_assignment=value))
    return value


async def _write(assessment: dict[str, Any], user_id: int | None, *, how: str) -> dict[str, Any]:
    at = now() if user_id is not None else None
    await Assessment.update({Assessment.assigned_to: user_id, Assessment.assigned_at: at,
                             Assessment.updated_at: now()}).where(
        Assessment.id == assessment["id"])
    await audit.record("assessment.assigned", target_type="assessment",
                       target_id=assessment["id"], supplier_id=assessment["supplier"],
                       before={"assigned_to": assessment.get("assigned_to")},
                       after={"assigned_to": user_id, "how": how})
    return {**assessment, "assigned_to": user_id, "assigned_at": at}


async def assign_on_submit(assessment: dict[str, Any]) -> dict[str, Any]:
    """Inside the submit's transaction, with the assessment locked: keep whoever already has
    it; otherwise, under the round-robin policy, the least-loaded reviewer."""
    if assessment.get("assigned_to") is not None or await policy() != ROUND_ROBIN:
        return assessment
    pool = await reviewers(lock=True)
    chosen = choose_reviewer(await loads([r["user_id"] for r in pool]))
    if chosen is None:
        return assessment
    return await _write(assessment, chosen, how="round_robin")


async def assign(assessment: dict[str, Any], user_id: int | None) -> dict[str, Any]:
    """By hand (the caller holds the assessment's lock): a reviewer, or nobody."""
    if user_id is not None:
        pool = {r["user_id"] for r in await reviewers()}
        if user_id not in pool:
            raise InvalidInput("Choose an active reviewer (someone who may review assessments).")
    if assessment.get("assigned_to") == user_id:
        return assessment
    return await _write(assessment, user_id, how="by_hand")


async def names(user_ids: set[int]) -> dict[int, str]:
    ids = sorted(u for u in user_ids if u is not None)
    if not ids:
        return {}
    return {r["id"]: r["username"] for r in await BaseUser.select(
        BaseUser.id, BaseUser.username).where(BaseUser.id.is_in(ids))}


# The work queue ------------------------------------------------------------------------

_QUEUE_COLUMNS = (Assessment.id, Assessment.status, Assessment.due_date,
                  Assessment.submitted_at, Assessment.assigned_to, Assessment.assigned_at,
                  Assessment.supplier.as_alias("supplier_id"),
                  Assessment.supplier.name.as_alias("supplier_name"),
                  Assessment.definition.title.as_alias("questionnaire"))


async def my_queue(*, user_id: int, username: str) -> list[dict[str, Any]]:
    """What waits on this person: submissions assigned to them, and resubmissions answering
    a query they asked; oldest first. One statement."""
    from models.tables import AnswerReview

    mine = (Assessment.assigned_to == user_id) | Assessment.id.is_in(
        AnswerReview.select(AnswerReview.assessment).where(
            (AnswerReview.reviewer == username) & (AnswerReview.decision == "query")))
    return await Assessment.select(*_QUEUE_COLUMNS).where(
        Assessment.status.is_in(sorted(states.AWAITING_REVIEW)) & mine
    ).order_by(Assessment.submitted_at).order_by(Assessment.id)


async def unassigned_queue() -> list[dict[str, Any]]:
    return await Assessment.select(*_QUEUE_COLUMNS).where(
        Assessment.status.is_in(sorted(states.AWAITING_REVIEW))
        & Assessment.assigned_to.is_null()
    ).order_by(Assessment.submitted_at).order_by(Assessment.id)
