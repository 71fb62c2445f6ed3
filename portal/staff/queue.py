"""The work queue: what waits on me, what nobody has yet, assigning by hand, and accepting
every compliant answer of a submission after one confirmation."""

from __future__ import annotations

import datetime as dt

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from portal.assessments import assignment
from portal.assessments import service as assessments
from portal.assessments.fairness import POLICIES, age_days
from portal.core.context import current_actor
from portal.core.errors import InvalidInput
from portal.core.permissions import READ, allowed
from portal.staff import auth
from portal.staff.forms import text_values
from portal.staff.rendering import render

REVIEW = {"permission": "assessments.review"}
TABS = {"mine": "Waiting on me", "unassigned": "Unassigned"}


@get("/queue", opt={"permission": READ})
async def queue_page(request: Request) -> Template:
    actor = current_actor()
    tab = request.query_params.get("tab", "mine")
    if tab not in TABS:
        raise InvalidInput("There is no such tab: choose 'Waiting on me' or 'Unassigned'.")
    can_assign = allowed(actor.role, "assessments.review")
    mine = await assignment.my_queue(user_id=actor.user_id or 0, username=actor.name)
    unassigned = await assignment.unassigned_queue() if can_assign else []
    if tab == "unassigned" and not can_assign:
        raise InvalidInput("Only reviewers can pick up unassigned submissions.")
    today = dt.date.today()
    rows = mine if tab == "mine" else unassigned
    for row in rows:
        row["age"] = age_days(row["submitted_at"], today)
        row["overdue"] = row["due_date"] is not None and row["due_date"] < today
    return render(request, "staff/queue.html", page_title="My queue", tab=tab, tabs=TABS,
                  rows=rows, counts={"mine": len(mine), "unassigned": len(unassigned)},
                  can_assign=can_assign, policy=await assignment.policy(), policies=POLICIES,
                  notice=request.query_params.get("notice"))


@post("/queue/policy", opt={"permission": "organisation.write"}, status_code=303)
async def set_policy(request: Request) -> Response:
    form = await auth.check_csrf(request)
    await assignment.set_policy(text_values(form, ("policy",))["policy"])
    return Redirect("/staff/queue?notice=policy", status_code=303)


@post("/assessments/{assessment_id:int}/assign", opt=REVIEW, status_code=303)
async def assign(request: Request, assessment_id: int) -> Response:
    form = await auth.check_csrf(request)
    typed = text_values(form, ("reviewer", "back"))
    if typed["reviewer"] == "me":
        user_id: int | None = current_actor().user_id
    elif typed["reviewer"] == "":
        user_id = None
    else:
        try:
            user_id = int(typed["reviewer"])
        except ValueError:
            raise InvalidInput("Choose a reviewer from the list.") from None
    await assessments.assign_reviewer(assessment_id, user_id)
    if typed["back"] == "queue":
        return Redirect("/staff/queue?tab=unassigned&notice=assigned", status_code=303)
    return Redirect(f"/staff/assessments/{assessment_id}?notice=assigned#assignment",
                    status_code=303)


@get("/assessments/{assessment_id:int}/accept-compliant", opt=REVIEW)
async def accept_compliant_confirm(request: Request, assessment_id: int) -> Template:
    view = await assessments.staff_view(assessment_id)
    return render(request, "staff/accept_compliant.html",
                  page_title=f"Accept compliant answers: {view['supplier']['name']}", a=view,
                  chosen=assessments.compliant_undecided(view))


@post("/assessments/{assessment_id:int}/accept-compliant", opt=REVIEW, status_code=303)
async def accept_compliant(request: Request, assessment_id: int) -> Response:
    await auth.check_csrf(request)
    form = await request.form()
    question_ids = [str(v)[:100] for v in form.getall("question_ids")] \
        if "question_ids" in form else []
    if not question_ids:
        raise InvalidInput("There are no compliant answers waiting for a decision.")
    accepted = await assessments.accept_compliant(assessment_id, question_ids=question_ids,
                                                  reviewer=current_actor().name)
    return Redirect(f"/staff/assessments/{assessment_id}?notice=accepted_all&n={len(accepted)}",
                    status_code=303)


HANDLERS = [queue_page, set_policy, assign, accept_compliant_confirm, accept_compliant]
