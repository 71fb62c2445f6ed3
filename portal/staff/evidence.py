"""Workspace screen for the DSPT evidence pack: choose the year and "as at" date, see the
version the records make now and who signed it, download it, and (IG lead, SIRO) approve it.

Thin: read the boxes, call the reports' services (audited there), re-render with messages in
the user's words when refused."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from portal.core.errors import Conflict, InvalidInput
from portal.core.permissions import READ
from portal.reports import approvals, snapshot
from portal.reports.service import toolkit_items
from portal.staff import auth
from portal.staff.forms import date_parts, date_value, text_values
from portal.staff.rendering import render

ROLES = [(r.value, approvals.ROLE_LABELS[r]) for r in approvals.ApprovalRole]
DEFAULT_TOOLKIT = "2025-26"


def _choice(values: Any) -> tuple[dict[str, str], str, str | None, dict[str, str]]:
    """The year and "as at" date asked for (query or form): typed, toolkit, ISO date, errors."""
    typed = text_values(values, ("toolkit",)) | date_parts(values, "as_at")
    errors: dict[str, str] = {}
    toolkit = typed.get("toolkit") or DEFAULT_TOOLKIT
    if toolkit not in toolkit_items():
        errors["toolkit"] = "Choose a toolkit year from the list."
        toolkit = DEFAULT_TOOLKIT
    typed["toolkit"] = toolkit
    iso, ok = date_value(typed, "as_at")
    if not ok:
        errors["as_at"] = "Enter a real date, like 30 6 2026, or leave it blank for today."
    return typed, toolkit, iso, errors


async def _page(request: Request, *, typed: dict[str, str], toolkit: str, as_at: str | None,
                errors: dict[str, str], status_code: int = 200, notice: str | None = None
                ) -> Template:
    block = None
    day: dt.date | None = None
    if not errors.get("as_at"):
        try:
            day = await snapshot.as_at_date(as_at)
        except InvalidInput as error:
            errors = {**errors, "as_at": error.message}
            status_code = max(status_code, 400)
    if not errors.get("as_at") and not errors.get("toolkit"):
        block = await approvals.approval_block(toolkit=toolkit, as_at=day)
    query = {"toolkit": toolkit, **({"as_at": day.isoformat()} if day else {})}
    return render(request, "staff/evidence_pack.html", status_code=status_code,
                  page_title="DSPT evidence pack", typed=typed, errors=errors, block=block,
                  toolkits=[(t, t) for t in toolkit_items()], roles=ROLES, notice=notice,
                  download=f"/api/v1/reports/dspt-evidence.docx?{urlencode(query)}",
                  as_at=day.isoformat() if day else "")


@get("/evidence-pack", opt={"permission": READ})
async def evidence_pack_page(request: Request) -> Template:
    typed, toolkit, as_at, errors = _choice(request.query_params)
    notice = request.query_params.get("notice")
    return await _page(request, typed=typed, toolkit=toolkit, as_at=as_at, errors=errors,
                       status_code=400 if errors else 200,
                       notice="approved" if notice == "approved" else None)


@post("/evidence-pack/approve", opt={"permission": "pack.approve"}, status_code=303)
async def approve_pack(request: Request) -> Response:
    form = await auth.check_csrf(request)
    typed, toolkit, as_at, errors = _choice(form)
    typed |= text_values(form, ("role", "approver_name"))
    if typed["role"] not in {r for r, _ in ROLES}:
        errors["role"] = "Choose the role you approve as: IG lead or SIRO."
    if not typed["approver_name"].strip():
        errors["approver_name"] = "Enter the name of the person approving the pack."
    elif len(typed["approver_name"]) > 200:
        errors["approver_name"] = "Enter a name of 200 characters or fewer."
    if not errors:
        try:
            day = await snapshot.as_at_date(as_at)
            await approvals.approve(toolkit=toolkit, as_at=day, role=typed["role"],
                                    approver_name=typed["approver_name"])
        except InvalidInput as error:
            errors["as_at"] = error.message
        except Conflict as error:
            errors["role"] = error.message
    if errors:
        return await _page(request, typed=typed, toolkit=toolkit, as_at=as_at, errors=errors,
                           status_code=409 if "already approved" in errors.get("role", "")
                           else 400)
    query = {"toolkit": toolkit, "notice": "approved"}
    if as_at:
        day = dt.date.fromisoformat(as_at)
        query |= {"as_at-day": str(day.day), "as_at-month": str(day.month),
                  "as_at-year": str(day.year)}
    return Redirect(f"/staff/evidence-pack?{urlencode(query)}", status_code=303)


HANDLERS = [evidence_pack_page, approve_pack]
