"""Managing a sent questionnaire from the workspace: revoke (after a confirmation), extend
the due date, chase now. Each calls the same service function as the API; reissue and the
link shown once live in `workspace.py` (they share its sealed-cookie hand-over)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from portal.assessments import service as assessments
from portal.core.errors import InvalidInput
from portal.core.schemas import MAX_ID
from portal.staff import auth
from portal.staff.forms import date_parts, date_value, text_values
from portal.staff.rendering import render
from questionnaires import states

Id = Annotated[int, Parameter(gt=0, le=MAX_ID)]
SEND = {"permission": "assessments.send"}


def _back(view: dict[str, Any], notice: str) -> Redirect:
    return Redirect(f"/staff/assessments/{view['id']}?notice={notice}#link-management",
                    status_code=303)


@get("/assessments/{assessment_id:int}/revoke", opt=SEND)
async def confirm_revoke(request: Request, assessment_id: Id) -> Template:
    view = await assessments.staff_view(assessment_id)
    return render(request, "staff/revoke_confirm.html", page_title="Revoke the supplier's link",
                  a=view, closed=view["status"] in states.CLOSED)


@post("/assessments/{assessment_id:int}/revoke", opt=SEND, status_code=303)
async def revoke(request: Request, assessment_id: Id) -> Response:
    form = await auth.check_csrf(request)
    if text_values(form, ("confirm",))["confirm"] != "revoke":
        raise InvalidInput("Confirm that the link should be revoked.")
    await assessments.revoke(assessment_id)
    return _back(await assessments.staff_view(assessment_id), "revoked")


def _extend_form(request: Request, view: dict[str, Any], *, typed: dict[str, str],
                 errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
    return render(request, "staff/extend_form.html", status_code=status_code,
                  page_title="Extend the due date", a=view, typed=typed, errors=errors or {})


@get("/assessments/{assessment_id:int}/extend", opt=SEND)
async def extend_page(request: Request, assessment_id: Id) -> Template:
    view = await assessments.staff_view(assessment_id)
    return _extend_form(request, view, typed={})


@post("/assessments/{assessment_id:int}/extend", opt=SEND, status_code=303)
async def extend(request: Request, assessment_id: Id) -> Response:
    form = await auth.check_csrf(request)
    parts = date_parts(form, "due_date")
    iso, ok = date_value(parts, "due_date")
    view = await assessments.staff_view(assessment_id)
    if iso is None:
        message = ("Enter the new due date, for example 31 3 2027" if ok else
                   "The new due date must be a real date, for example 31 3 2027")
        return _extend_form(request, view, typed=parts, errors={"due_date": message},
                            status_code=400)
    try:
        await assessments.extend(assessment_id, due_date=dt.date.fromisoformat(iso))
    except InvalidInput as error:
        return _extend_form(request, view, typed=parts, errors={"due_date": error.message},
                            status_code=400)
    return _back(view, "extended")


@post("/assessments/{assessment_id:int}/chase", opt=SEND, status_code=303)
async def chase(request: Request, assessment_id: Id) -> Response:
    form = await auth.check_csrf(request)
    await assessments.chase(assessment_id)
    back = text_values(form, ("back",))["back"]
    if back == "supplier":
        view = await assessments.staff_view(assessment_id)
        return Redirect(f"/staff/suppliers/{view['supplier']['id']}?notice=chased#assessments",
                        status_code=303)
    return _back({"id": assessment_id}, "chased")


HANDLERS = [confirm_revoke, revoke, extend_page, extend, chase]
