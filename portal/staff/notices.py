"""Workspace screens for sub-processor change notices: one notice and its decision, recording
a notice that came by email, and the supplier's standing notice link (issue, revoke).

Thin: read the form, call portal.notices.service (audited there), re-render with the
messages in the user's words when refused."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from portal.core.context import current_actor
from portal.core.errors import InvalidInput, PortalError
from portal.core.permissions import READ
from portal.core.schemas import MAX_ID
from portal.notices import rules
from portal.notices import service as notices
from portal.notices.pages import FIELDS, TRANSFERS
from portal.staff import auth
from portal.staff.rendering import render
from portal.suppliers import service as suppliers

Id = Annotated[int, Parameter(gt=0, le=MAX_ID)]


def _notice_page(request: Request, notice: dict, *, errors: dict | None = None,
                 typed: dict | None = None, status_code: int = 200) -> Template:
    return render(request, "staff/notice.html", status_code=status_code,
                  page_title=f"Sub-processor notice: {notice['supplier_name']}", n=notice,
                  decisions=rules.DECISIONS, errors=errors or {}, typed=typed or {},
                  notice=request.query_params.get("notice"))


@get("/notices/{notice_id:int}", opt={"permission": READ})
async def notice_page(request: Request, notice_id: Id) -> Template:
    return _notice_page(request, await notices.get_notice(notice_id))


@post("/notices/{notice_id:int}/decision", opt={"permission": "assessments.review"}, status_code=303)
async def decide(request: Request, notice_id: Id) -> Response:
    form = await auth.check_csrf(request)
    typed = {"decision": str(form.get("decision") or ""), "reasons": str(form.get("reasons") or "")[:10_000]}
    version = str(form.get("version") or "")
    try:
        await notices.decide(notice_id, decision=typed["decision"], reasons=typed["reasons"],
                             actor=current_actor().name,
                             version=int(version) if version.isdigit() else None)
    except PortalError as error:
        return _notice_page(request, await notices.get_notice(notice_id), status_code=error.status_code,
                            errors=error.extra.get("errors") or {"decision": error.message}, typed=typed)
    return Redirect(f"/staff/notices/{notice_id}?notice=decided", status_code=303)


async def _record_form(request: Request, supplier_id: int, *, typed: dict | None = None,
                       errors: dict | None = None, status_code: int = 200) -> Template:
    supplier = await suppliers.get_supplier(supplier_id)
    return render(request, "staff/notice_form.html", status_code=status_code,
                  page_title="Record a sub-processor notice", s=supplier,
                  current=[(str(sp["id"]), f"{sp['name']} ({sp['location'] or 'location not recorded'})")
                           for sp in await suppliers.list_subprocessors(supplier_id, supplier_known=True)],
                  transfers=TRANSFERS, typed=typed or {}, errors=errors or {})


@get("/suppliers/{supplier_id:int}/notices/new", opt={"permission": "register.write"})
async def record_page(request: Request, supplier_id: Id) -> Template:
    return await _record_form(request, supplier_id)


@post("/suppliers/{supplier_id:int}/notices", opt={"permission": "register.write"}, status_code=303)
async def record(request: Request, supplier_id: Id) -> Response:
    form = await auth.check_csrf(request)
    typed = {k: str(form.get(k) or "").strip() for k in (*FIELDS, "source_detail")}
    try:
        notice = await notices.record_notice(
            supplier_id, typed, source="staff",
            source_detail=f"recorded by {current_actor().name}: {typed['source_detail']}".strip(": "))
    except InvalidInput as error:
        return await _record_form(request, supplier_id, typed=typed, status_code=400,
                                  errors=error.extra.get("errors") or {"change": error.message})
    return Redirect(f"/staff/notices/{notice['id']}?notice=recorded", status_code=303)


@post("/suppliers/{supplier_id:int}/notice-link", opt={"permission": "assessments.send"},
      status_code=201)
async def issue_link(request: Request, supplier_id: Id) -> Template:
    await auth.check_csrf(request)
    token = await notices.issue_link(supplier_id, actor=current_actor().name)
    supplier = await suppliers.get_supplier(supplier_id)
    return render(request, "staff/notice_link.html", status_code=201, page_title="Notice link", s=supplier,
                  link=notices.notice_url(token))


@post("/suppliers/{supplier_id:int}/notice-link/revoke", opt={"permission": "assessments.send"},
      status_code=303)
async def revoke_link(request: Request, supplier_id: Id) -> Response:
    await auth.check_csrf(request)
    await notices.revoke_link(supplier_id)
    return Redirect(f"/staff/suppliers/{supplier_id}?notice=notice_link_revoked#notices", status_code=303)


HANDLERS = [notice_page, decide, record_page, record, issue_link, revoke_link]
