"""Staff workspace pages: dashboard, suppliers, a supplier, a contract, imports.

Controllers stay thin: they parse the form, call the same services as the API, and render.
Every action declares its permission; the guard refuses it server-side (403), whatever the
page showed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from models.tables import Assessment, AuditEvent, Risk
from portal.assessments import links
from portal.assessments import service as assessments
from portal.bundles import service as bundles
from portal.certifications import service as certifications
from portal.certifications.register_import import import_dspt
from portal.contracts import service as contracts
from portal.core.context import current_actor
from portal.core.downloads import content_disposition
from portal.core.downloads import csv_text as write_csv
from portal.core.errors import InvalidInput
from portal.core.permissions import READ
from portal.core.schemas import MAX_ID
from portal.core.uploads import csv_text
from portal.imports.controllers import MAX_CSV
from portal.notices import service as notices
from portal.scoring.service import disclosures, get_score
from portal.staff import auth
from portal.staff.dashboard import overview
from portal.staff.register import TRANSFER_MECHANISMS
from portal.staff.rendering import render
from portal.suppliers import service as suppliers
from portal.suppliers.importer import import_suppliers

PAGE_SIZE = 50
Id = Annotated[int, Parameter(gt=0, le=MAX_ID)]


def _form_error(error: ValidationError) -> InvalidInput:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg'].removeprefix('Value error, ')}"
             for e in error.errors()]
    return InvalidInput("Please correct: " + "; ".join(parts))


@get("/", opt={"permission": READ})
async def dashboard(request: Request) -> Template:
    return render(request, "staff/dashboard.html", page_title="Dashboard", d=await overview())


def _list_params(request: Request) -> dict[str, Any]:
    params = request.query_params
    rating = params.get("rating") if params.get("rating") in {"green", "amber", "red"} else None
    tier = params.get("tier") if params.get("tier") in {"critical", "elevated", "baseline"} else None
    sort = params.get("sort") if params.get("sort") in {"name", "score", "-score"} else "name"
    certification = params.get("certification") if params.get("certification") in {
        "none", "recorded"} else None
    try:
        page = max(1, min(int(params.get("page", "1")), 100_000))
    except ValueError:
        page = 1
    return {"q": (params.get("q") or "").strip()[:200] or None, "rating": rating, "tier": tier,
            "sort": sort, "overdue": params.get("overdue") == "1",
            "certification": certification, "page": page}


@get("/suppliers", opt={"permission": READ})
async def supplier_list(request: Request) -> Template:
    p = _list_params(request)
    rows, total = await suppliers.list_suppliers(
        q=p["q"], rating=p["rating"], tier=p["tier"], sort=p["sort"], overdue=p["overdue"],
        certification=p["certification"], limit=PAGE_SIZE, offset=(p["page"] - 1) * PAGE_SIZE)
    query = "&".join(f"{k}={v}" for k, v in {**p, "overdue": "1" if p["overdue"] else ""}.items()
                     if v and k != "page")
    return render(request, "staff/suppliers.html", page_title="Suppliers", rows=rows, total=total,
                  p=p, pages=max(1, -(-total // PAGE_SIZE)), query=query)


@get("/suppliers.csv", opt={"permission": READ})
async def supplier_list_csv(request: Request) -> Response:
    p = _list_params(request)
    rows, _ = await suppliers.list_suppliers(
        q=p["q"], rating=p["rating"], tier=p["tier"], sort=p["sort"], overdue=p["overdue"],
        certification=p["certification"], limit=100_000, offset=0)
    text = write_csv(["id", "name", "legal_name", "ods_code", "tier", "rating", "score"],
                     ([r["id"], r["name"], r["legal_name"], r["ods_code"], r["tier"] or "",
                       r["rating"] or "", "" if r["score"] is None else r["score"]]
                      for r in rows))
    return Response(text, media_type="text/csv",
                    headers={"Content-Disposition": content_disposition("suppliers.csv")})


@get("/suppliers/{supplier_id:int}", opt={"permission": READ})
async def supplier_page(request: Request, supplier_id: Id) -> Template:
    supplier = await suppliers.get_supplier(supplier_id)
    contracts_, _ = await suppliers.list_contracts(supplier_id=supplier_id, q=None, limit=200,
                                                   offset=0)
    gaps = await contracts.gap_summary(contracts_, affects_care=supplier["affects_care"])
    for contract in contracts_:
        contract["gaps"] = gaps[contract["id"]]["gaps"]
        contract["required"] = gaps[contract["id"]]["required"]
    certs, _ = await certifications.list_certifications(supplier_id=supplier_id, limit=200, offset=0)
    sent = await Assessment.select(
        Assessment.id, Assessment.status, Assessment.due_date, Assessment.sent_at,
        Assessment.submitted_at, Assessment.decided_at,
        Assessment.definition.title.as_alias("questionnaire")).where(
        Assessment.supplier == supplier_id).order_by(Assessment.id, ascending=False)
    risks = await Risk.select().where(Risk.supplier == supplier_id).order_by(Risk.id, ascending=False)
    trail = await AuditEvent.select(AuditEvent.occurred_at, AuditEvent.actor, AuditEvent.action,
                                    AuditEvent.target_type, AuditEvent.target_id).where(
        AuditEvent.supplier_id == supplier_id).order_by(AuditEvent.id, ascending=False).limit(50)
    return render(request, "staff/supplier.html", page_title=supplier["name"], s=supplier,
                  contacts=await suppliers.list_contacts(supplier_id),
                  subprocessors=await suppliers.list_subprocessors(
                      supplier_id, include_ended=True, supplier_known=True),
                  transfer_words=dict(TRANSFER_MECHANISMS),
                  score=await get_score(supplier_id) if supplier["archived_at"] is None else None,
                  disclosures=await disclosures(supplier_id),
                  contracts=contracts_, certs=certs, assessments=sent, risks=risks, trail=trail,
                  reused=await bundles.reused_for_supplier(supplier_id),
                  notices=await notices.list_notices(supplier_id=supplier_id),
                  notice_link=await notices.link_state(supplier_id),
                  questionnaires=assessments.available_questionnaires(),
                  notice=request.query_params.get("notice"),
                  default_due=(dt.date.today() + dt.timedelta(days=28)).isoformat())


@post("/suppliers/{supplier_id:int}/assessments", opt={"permission": "assessments.send"},
      status_code=303)
async def send_questionnaire(request: Request, supplier_id: Id) -> Response:
    form = await auth.check_csrf(request)
    try:
        due = dt.date.fromisoformat(str(form.get("due_date", "")))
        contact_id = int(form.get("contact_id", "0"))
    except ValueError:
        raise InvalidInput("Choose a contact and a due date such as 2026-12-31.") from None
    assessment, token = await assessments.send(
        supplier_id=supplier_id, contact_id=contact_id,
        questionnaire=str(form.get("questionnaire", "")), due_date=due)
    return _to_link_page(request, assessment["id"], token, reissued=False)


LINK_COOKIE = "portal_link_once"


def _link_page(assessment_id: int) -> str:
    return f"/staff/assessments/{assessment_id}/link"


def _to_link_page(request: Request, assessment_id: int, token: str, *,
                  reissued: bool) -> Response:
    """Post/redirect/get: the link rides to the page that shows it in a sealed, short-lived
    cookie scoped to that page (never stored, never in a URL), so a reload sends nothing twice."""
    response = Redirect(_link_page(assessment_id), status_code=303)
    response.set_cookie(LINK_COOKIE, links.seal_for_display(
        assessment_id=assessment_id, token=token, viewer=current_actor().name,
        reissued=reissued), httponly=True, samesite="strict", path=_link_page(assessment_id),
        secure=request.url.scheme == "https", max_age=links.DISPLAY_SECONDS)
    return response


@get("/assessments/{assessment_id:int}/link", opt={"permission": "assessments.send"})
async def link_sent(request: Request, assessment_id: Id) -> Template:
    """The supplier's link, shown once after sending or reissuing; then it is gone."""
    opened = links.open_for_display(request.cookies.get(LINK_COOKIE),
                                    assessment_id=assessment_id, viewer=current_actor().name)
    view = await assessments.staff_view(assessment_id)
    token, reissued = opened if opened else (None, False)
    response = render(request, "staff/link_sent.html",
                      page_title="New link sent" if reissued else "Questionnaire sent",
                      link=assessments.link_url(token) if token else None, reissued=reissued,
                      assessment_id=assessment_id, supplier=view["supplier"],
                      contact=view["contact"], questionnaire=view["questionnaire"]["title"],
                      due_date=view["due_date"])
    response.delete_cookie(LINK_COOKIE, path=_link_page(assessment_id))
    return response


@post("/assessments/{assessment_id:int}/reissue", opt={"permission": "assessments.send"},
      status_code=303)
async def reissue_link(request: Request, assessment_id: Id) -> Response:
    form = await auth.check_csrf(request)
    if any(not isinstance(value, str) for value in form.values()):
        raise InvalidInput("This form takes no files.")
    _, token = await assessments.reissue(assessment_id)
    return _to_link_page(request, assessment_id, token, reissued=True)


@post("/suppliers/{supplier_id:int}/risks", opt={"permission": "risks.write"}, status_code=303)
async def log_risk(request: Request, supplier_id: Id) -> Response:
    from portal.risks import api as risks

    form = await auth.check_csrf(request)
    values = {k: v for k, v in form.items() if k != "csrf" and v not in ("", None)}
    try:
        data = risks.RiskCreate.model_validate({**values, "supplier_id": supplier_id})
    except ValidationError as error:
        raise _form_error(error) from None
    await risks.log_risk(data)
    return Redirect(f"/staff/suppliers/{supplier_id}?notice=risk", status_code=303)


@get("/contracts/{contract_id:int}", opt={"permission": READ})
async def contract_page(request: Request, contract_id: Id) -> Template:
    contract = await suppliers.get_contract(contract_id)
    supplier = await suppliers.get_supplier(contract["supplier"])
    return render(request, "staff/contract.html", page_title=contract["title"], c=contract,
                  s=supplier, check=await contracts.checklist(contract_id),
                  notice=request.query_params.get("notice"))


@post("/contracts/{contract_id:int}/documents", opt={"permission": "clauses.write"},
      status_code=303)
async def upload_contract(request: Request, contract_id: Id) -> Response:
    form = await auth.check_csrf(request)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise InvalidInput("Choose the contract's Word document (.docx) to upload.")
    from portal.core.context import current_actor

    await contracts.upload_document(contract_id, filename=upload.filename,
                                    data=await upload.read(), actor=current_actor().name)
    return Redirect(f"/staff/contracts/{contract_id}?notice=scanned", status_code=303)


@post("/contracts/{contract_id:int}/clauses/{key:str}", opt={"permission": "clauses.write"},
      status_code=303)
async def set_clause(request: Request, contract_id: Id, key: str) -> Response:
    from portal.core.context import current_actor

    form = await auth.check_csrf(request)
    await contracts.set_clause(contract_id, key, status=str(form.get("status", "")),
                               location=None, note=str(form.get("note", ""))[:5000] or None,
                               version=None, actor=current_actor().name)
    return Redirect(f"/staff/contracts/{contract_id}?notice=clause#clause-{key}", status_code=303)


@get("/imports", opt={"permission": READ})
async def imports_page(request: Request) -> Template:
    return render(request, "staff/imports.html", page_title="Imports", result=None, kind=None)


@post("/imports/{kind:str}", opt={"permission": "imports.run"}, status_code=200)
async def run_import(request: Request, kind: str) -> Template:
    form = await auth.check_csrf(request)
    upload = form.get("file")
    if kind not in {"dspt", "suppliers"}:
        raise InvalidInput("Unknown import.")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise InvalidInput("Choose a CSV file to import.")
    text = csv_text(await upload.read(), max_bytes=MAX_CSV)
    if kind == "dspt":
        result = (await import_dspt(text)).as_dict()
    else:
        result = (await import_suppliers(text, dry_run=form.get("dry_run") == "1")).as_dict()
    return render(request, "staff/imports.html", page_title="Imports", result=result, kind=kind)


HANDLERS = [dashboard, supplier_list, supplier_list_csv, supplier_page, send_questionnaire,
            reissue_link, link_sent,
            log_risk, contract_page, upload_contract, set_clause, imports_page,
            run_import]
