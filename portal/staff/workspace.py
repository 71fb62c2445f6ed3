"""Staff workspace pages: dashboard, suppliers, a supplier, a contract, imports.

Controllers stay thin: they parse the form, call the same services as the API, and render.
Every action declares its permission; the guard refuses it server-side (403), whatever the
page showed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

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
from portal.core.errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PortalError,
    Unprocessable,
    UnsupportedMediaType,
)
from portal.core.organisation import get_organisation
from portal.core.permissions import READ
from portal.core.schemas import MAX_ID
from portal.core.uploads import csv_text
from portal.imports.controllers import MAX_CSV
from portal.notices import service as notices
from portal.schedules.document import particulars_problem
from portal.scoring.service import disclosures, get_score
from portal.staff import auth
from portal.staff.dashboard import overview
from portal.staff.forms import Field, date_parts, date_value, field_errors, text_values
from portal.staff.register import RISK_FIELDS, SEVERITIES, TRANSFER_MECHANISMS
from portal.staff.rendering import render
from portal.suppliers import service as suppliers
from portal.suppliers.importer import import_suppliers

PAGE_SIZE = 50
Id = Annotated[int, Parameter(gt=0, le=MAX_ID)]


@get("/", opt={"permission": READ})
async def dashboard(request: Request) -> Template:
    return render(request, "staff/dashboard.html", page_title="Dashboard", d=await overview())


PAGE_SIZES = (25, 50, 100)
LIST_KEYS = ("q", "rating", "tier", "certification", "overdue", "contract_end_from",
             "contract_end_to", "cert_expiry_before", "owner", "sort", "per_page")


def _date_param(params: Any, name: str, words: str) -> dt.date | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"Enter the {words} as a real date, for example 2027-03-31.") from None


def _list_params(request: Request) -> dict[str, Any]:
    """The supplier list's filters, sort and page, as typed; anything that can't be is a 400
    in the user's words (never silently another list)."""
    params = request.query_params
    unknown = [k for k in params if k not in (*LIST_KEYS, "page", "notice")]
    if unknown:
        raise InvalidInput("This list can't be filtered by that. Clear the filters and "
                           "start again.")

    def choice(name: str, allowed: tuple[str, ...], words: str) -> str | None:
        value = params.get(name) or None
        if value is not None and value not in allowed:
            raise InvalidInput(f"Choose a {words} from the list.")
        return value

    sort = params.get("sort") or "name"
    if sort.lstrip("-") not in suppliers.SORTS or sort.count("-") > 1:
        raise InvalidInput("Sort by name, tier, rating, score, next contract end or next "
                           "certificate expiry.")
    try:
        page = int(params.get("page") or "1")
        per_page = int(params.get("per_page") or str(PAGE_SIZE))
    except ValueError:
        raise InvalidInput("The page number and page size must be whole numbers.") from None
    if not 1 <= page <= 100_000:
        raise InvalidInput("There is no such page.")
    if per_page not in PAGE_SIZES:
        raise InvalidInput("Show 25, 50 or 100 suppliers a page.")
    owner_text = (params.get("owner") or "").strip()
    owner: int | str | None = None
    if owner_text in ("me", "none"):
        owner = current_actor().user_id if owner_text == "me" else "none"
    elif owner_text:
        try:
            owner = int(owner_text)
        except ValueError:
            raise InvalidInput("Choose an owner from the list.") from None
        if not 0 < owner <= MAX_ID:
            raise InvalidInput("Choose an owner from the list.")
    q = (params.get("q") or "").strip()
    if len(q) > 200:
        raise InvalidInput("Search for 200 characters or fewer.")
    ends_from = _date_param(params, "contract_end_from", "earliest contract end")
    ends_to = _date_param(params, "contract_end_to", "latest contract end")
    if ends_from and ends_to and ends_from > ends_to:
        raise InvalidInput("The earliest contract end must be on or before the latest.")
    return {"q": q or None,
            "rating": choice("rating", ("green", "amber", "red"), "rating"),
            "tier": choice("tier", ("critical", "elevated", "baseline"), "tier"),
            "certification": choice("certification", ("none", "recorded"), "certification filter"),
            "overdue": params.get("overdue") == "1",
            "contract_end_from": ends_from, "contract_end_to": ends_to,
            "cert_expiry_before": _date_param(params, "cert_expiry_before",
                                              "certificate expiry date"),
            "owner": owner, "owner_text": owner_text, "sort": sort, "per_page": per_page,
            "page": page}


def _list_query(p: dict[str, Any], **changes: Any) -> str:
    """The list's query string for these filters (canonical: what a saved filter stores)."""
    values = {**p, **changes}
    pairs = []
    for key in LIST_KEYS:
        value = values["owner_text"] if key == "owner" else values.get(key)
        if key == "overdue":
            value = "1" if value else ""
        if key == "sort" and value == "name":
            continue
        if key == "per_page" and value == PAGE_SIZE:
            continue
        if value:
            pairs.append((key, value.isoformat() if isinstance(value, dt.date) else str(value)))
    return urlencode(pairs)


async def _list(p: dict[str, Any], *, limit: int, offset: int):
    return await suppliers.list_suppliers(
        q=p["q"], rating=p["rating"], tier=p["tier"], sort=p["sort"], overdue=p["overdue"],
        certification=p["certification"], contract_end_from=p["contract_end_from"],
        contract_end_to=p["contract_end_to"], cert_expiry_before=p["cert_expiry_before"],
        owner=p["owner"], limit=limit, offset=offset)


@get("/suppliers", opt={"permission": READ})
async def supplier_list(request: Request) -> Template:
    p = _list_params(request)
    rows, total = await _list(p, limit=p["per_page"], offset=(p["page"] - 1) * p["per_page"])
    dates = await suppliers.next_dates([r["id"] for r in rows])
    owners = await suppliers.staff_owners()
    names = {o["id"]: o["username"] for o in owners}
    for row in rows:
        row.update(dates.get(row["id"], {}))
        row["owner_name"] = names.get(row["owner"])
    query = _list_query(p)
    sorts = {}
    for key in suppliers.SORTS:
        current = p["sort"].lstrip("-") == key
        descending = p["sort"].startswith("-")
        sorts[key] = {"href": "/staff/suppliers?" + _list_query(
            p, sort=f"-{key}" if current and not descending else key),
            "aria": ("descending" if descending else "ascending") if current else None}
    return render(request, "staff/suppliers.html", page_title="Suppliers", rows=rows, total=total,
                  p=p, pages=max(1, -(-total // p["per_page"])), query=query, sorts=sorts,
                  sort_words=suppliers.SORTS, owners=owners, page_sizes=PAGE_SIZES,
                  saved=await suppliers.saved_filters(current_actor().user_id),
                  notice=request.query_params.get("notice"))


@get("/suppliers.csv", opt={"permission": READ})
async def supplier_list_csv(request: Request) -> Response:
    p = _list_params(request)
    rows, _ = await _list(p, limit=100_000, offset=0)
    text = write_csv(["id", "name", "legal_name", "ods_code", "tier", "rating", "score"],
                     ([r["id"], r["name"], r["legal_name"], r["ods_code"], r["tier"] or "",
                       r["rating"] or "", "" if r["score"] is None else r["score"]]
                      for r in rows))
    return Response(text, media_type="text/csv",
                    headers={"Content-Disposition": content_disposition("suppliers.csv")})


@post("/suppliers/filters", opt={"permission": READ}, status_code=303)
async def save_filter(request: Request) -> Response:
    form = await auth.check_csrf(request)
    typed = text_values(form, ("name", "query"), max_length=2000)
    # Only what the list itself accepts is stored: parsed, then written back canonically.
    parsed = _list_params(_QueryOnly(typed["query"]))
    await suppliers.save_filter(user_id=current_actor().user_id, name=typed["name"],
                                query=_list_query(parsed))
    return Redirect(f"/staff/suppliers?{_list_query(parsed)}", status_code=303)


@post("/suppliers/filters/{filter_id:int}/delete", opt={"permission": READ}, status_code=303)
async def delete_filter(request: Request, filter_id: Id) -> Response:
    await auth.check_csrf(request)
    await suppliers.delete_filter(user_id=current_actor().user_id, filter_id=filter_id)
    return Redirect("/staff/suppliers", status_code=303)


class _QueryOnly:
    """A query string read as a request's query parameters are (for a saved filter)."""

    def __init__(self, query: str) -> None:
        from litestar.datastructures import MultiDict

        self.query_params = MultiDict(parse_qsl(query.lstrip("?"), keep_blank_values=True))


SEND_FIELDS = {
    "questionnaire": Field("Choose the questionnaire to send.", "Choose the questionnaire to send."),
    "contact_id": Field("Choose the contact to send it to.",
                        "Choose one of this supplier's contacts to send it to."),
    "due_date": Field("Enter the date the answers are due.",
                      "Enter the due date as a real date, for example 31 12 2026."),
}
RISK_KINDS = (("risk", "Risk"), ("dispute", "Dispute"), ("incident", "Incident"))
RISK_NEW_TEXT = ("kind", "title", "severity", "data_security_risk", "owner", "mitigation")
RISK_NEW_FIELDS = {**RISK_FIELDS, "kind": Field("Choose whether this is a risk, a dispute or an "
                                                "incident.", "Choose risk, dispute or incident.")}


def _due_parts(day: dt.date) -> dict[str, str]:
    return {"due_date-day": str(day.day), "due_date-month": str(day.month),
            "due_date-year": str(day.year)}


async def _supplier_page(request: Request, supplier_id: int, *, status_code: int = 200,
                         errors: dict[str, str] | None = None, problem: str | None = None,
                         typed: dict[str, str] | None = None,
                         open_form: str | None = None) -> Template:
    """The supplier page; a refused inline form ("Send a questionnaire", "Log a risk") comes
    back open on it, with the error summary at the top, each message beside its field and
    what was typed kept."""
    supplier = await suppliers.get_supplier(supplier_id)
    contracts_, _ = await suppliers.list_contracts(supplier_id=supplier_id, q=None, limit=200,
                                                   offset=0)
    gaps = await contracts.gap_summary(contracts_, supplier=supplier)
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
    defaults = {"severity": "medium", "kind": "risk",
                **_due_parts(dt.date.today() + dt.timedelta(days=28))}
    contacts_list = await suppliers.list_contacts(supplier_id)
    return render(request, "staff/supplier.html", status_code=status_code,
                  page_title=supplier["name"], s=supplier, contacts=contacts_list,
                  contact_options=[(str(c["id"]), f"{c['name']} ({c['email']})")
                                   for c in contacts_list],
                  questionnaire_options=[(q.key, q.title)
                                         for q in assessments.available_questionnaires()],
                  subprocessors=await suppliers.list_subprocessors(
                      supplier_id, include_ended=True, supplier_known=True),
                  transfer_words=dict(TRANSFER_MECHANISMS),
                  score=await get_score(supplier_id) if supplier["archived_at"] is None else None,
                  disclosures=await disclosures(supplier_id),
                  contracts=contracts_, certs=certs, assessments=sent, risks=risks, trail=trail,
                  reused=await bundles.reused_for_supplier(supplier_id),
                  notices=await notices.list_notices(supplier_id=supplier_id),
                  notice_link=await notices.link_state(supplier_id),
                  notice=request.query_params.get("notice"), errors=errors or {},
                  problem=problem, typed={**defaults, **(typed or {})}, open_form=open_form,
                  severities=SEVERITIES, risk_kinds=RISK_KINDS)


@get("/suppliers/{supplier_id:int}", opt={"permission": READ})
async def supplier_page(request: Request, supplier_id: Id) -> Template:
    return await _supplier_page(request, supplier_id)


@post("/suppliers/{supplier_id:int}/assessments", opt={"permission": "assessments.send"},
      status_code=303)
async def send_questionnaire(request: Request, supplier_id: Id) -> Response:
    form = await auth.check_csrf(request)
    typed = {**text_values(form, ("questionnaire", "contact_id"), max_length=200),
             **date_parts(form, "due_date")}
    errors: dict[str, str] = {}
    if typed["questionnaire"] not in {q.key for q in assessments.available_questionnaires()}:
        errors["questionnaire"] = SEND_FIELDS["questionnaire"].missing
    contacts_ = {str(c["id"]) for c in await suppliers.list_contacts(supplier_id)}
    if not contacts_:
        errors["contact_id"] = ("Add a contact first: the questionnaire is emailed to one of the "
                                "supplier's contacts.")
    elif typed["contact_id"] not in contacts_:
        errors["contact_id"] = SEND_FIELDS["contact_id"].invalid
    due, real = date_value(typed, "due_date")
    today = dt.date.today()
    if due is None:
        errors["due_date"] = SEND_FIELDS["due_date"].missing if real else \
            SEND_FIELDS["due_date"].invalid
    elif not today <= dt.date.fromisoformat(due) <= today + dt.timedelta(days=365):
        errors["due_date"] = "The due date must be between today and a year from today."
    if errors:
        return await _supplier_page(request, supplier_id, status_code=400, errors=errors,
                                    typed=typed, open_form="send")
    try:
        assessment, token = await assessments.send(
            supplier_id=supplier_id, contact_id=int(typed["contact_id"]),
            questionnaire=typed["questionnaire"], due_date=dt.date.fromisoformat(due),
            force=form.get("force") == "1")
    except assessments.AlreadyOpen as warning:
        return render(request, "staff/send_duplicate.html", status_code=409,
                      page_title="This questionnaire is already open",
                      s=await suppliers.get_supplier(supplier_id), message=warning.message,
                      open_id=warning.open["id"], typed=typed)
    except (InvalidInput, Unprocessable) as error:
        return await _supplier_page(request, supplier_id, status_code=error.status_code,
                                    problem=error.message, typed=typed, open_form="send")
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
    typed = text_values(form, RISK_NEW_TEXT)
    values: dict[str, Any] = {k: v for k, v in typed.items() if v}
    errors: dict[str, str] = {}
    for name in ("kind", "title"):
        if not typed[name]:
            errors[name] = RISK_NEW_FIELDS[name].missing
    try:
        data = risks.RiskCreate.model_validate({**values, "supplier_id": supplier_id})
    except ValidationError as error:
        errors = {**field_errors(error, RISK_NEW_FIELDS), **errors}
    if errors:
        return await _supplier_page(request, supplier_id, status_code=400, errors=errors,
                                    typed=typed, open_form="risk")
    await risks.log_risk(data)
    return Redirect(f"/staff/suppliers/{supplier_id}?notice=risk", status_code=303)


async def _contract_page(request: Request, contract_id: int, *, status_code: int = 200,
                         errors: dict[str, str] | None = None,
                         typed: dict[str, str] | None = None) -> Template:
    """The contract page; a refused upload or clause decision comes back on it with the error
    summary, the message beside the field and the note that was typed."""
    contract = await suppliers.get_contract(contract_id)
    supplier = await suppliers.get_supplier(contract["supplier"])
    return render(request, "staff/contract.html", status_code=status_code,
                  page_title=contract["title"], c=contract, s=supplier,
                  check=await contracts.checklist(contract_id),
                  notice=request.query_params.get("notice"), errors=errors or {},
                  typed=typed or {}, clause_statuses=CLAUSE_STATUSES,
                  particulars_problem=particulars_problem(contract),
                  schedule_wording=(await get_organisation()).get("schedule_wording") or "portal")


CLAUSE_STATUSES = (("present", "Present"), ("partial", "Partial"), ("missing", "Missing"),
                   ("not_applicable", "Not applicable"))


@get("/contracts/{contract_id:int}", opt={"permission": READ})
async def contract_page(request: Request, contract_id: Id) -> Template:
    return await _contract_page(request, contract_id)


@post("/contracts/{contract_id:int}/documents", opt={"permission": "clauses.write"},
      status_code=303)
async def upload_contract(request: Request, contract_id: Id) -> Response:
    form = await auth.check_csrf(request)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return await _contract_page(request, contract_id, status_code=400, errors={
            "file": "Choose the contract's Word document (.docx) or PDF to upload."})
    try:
        await contracts.upload_document(contract_id, filename=upload.filename,
                                        data=await upload.read(), actor=current_actor().name)
    except PortalError as error:
        if error.status_code == 404:
            raise
        return await _contract_page(request, contract_id, status_code=error.status_code,
                                    errors={"file": error.message})
    return Redirect(f"/staff/contracts/{contract_id}?notice=scanned", status_code=303)


@post("/contracts/{contract_id:int}/clauses/{key:str}", opt={"permission": "clauses.write"},
      status_code=303)
async def set_clause(request: Request, contract_id: Id, key: str) -> Response:
    form = await auth.check_csrf(request)
    typed = text_values(form, ("status", "note"), max_length=5000)
    field = f"status-{key}"
    typed_here = {field: typed["status"], f"note-{key}": typed["note"]}
    if typed["status"] not in {value for value, _ in CLAUSE_STATUSES}:
        return await _contract_page(request, contract_id, status_code=400, typed=typed_here,
                                    errors={field: "Choose present, partial, missing or not "
                                                   "applicable."})
    try:
        await contracts.set_clause(contract_id, key, status=typed["status"], location=None,
                                   note=typed["note"] or None, version=None,
                                   actor=current_actor().name)
    except PortalError as error:
        if error.status_code == 404:
            raise
        message = error.message
        if typed["status"] == "not_applicable" and isinstance(error, InvalidInput):
            message = ("This clause can't be not applicable: the contract is for a processor of "
                       "personal data, and UK GDPR Article 28 requires every one of its terms.")
        return await _contract_page(request, contract_id, status_code=error.status_code,
                                    typed=typed_here, errors={field: message})
    return Redirect(f"/staff/contracts/{contract_id}?notice=clause#clause-{key}", status_code=303)


def _imports_page(request: Request, *, status_code: int = 200, result: dict | None = None,
                  kind: str | None = None, errors: dict[str, str] | None = None) -> Template:
    return render(request, "staff/imports.html", status_code=status_code, page_title="Imports",
                  result=result, kind=kind, errors=errors or {})


@get("/imports", opt={"permission": READ})
async def imports_page(request: Request) -> Template:
    return _imports_page(request)


@post("/imports/{kind:str}", opt={"permission": "imports.run"}, status_code=200)
async def run_import(request: Request, kind: str) -> Template:
    form = await auth.check_csrf(request)
    upload = form.get("file")
    if kind not in {"dspt", "suppliers"}:
        raise NotFound("There is no such import.")
    field = f"{kind}-file"
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _imports_page(request, status_code=400, errors={
            field: "Choose the CSV file to import."})
    try:
        text = csv_text(await upload.read(), max_bytes=MAX_CSV)
        if kind == "dspt":
            result = (await import_dspt(text)).as_dict()
        else:
            result = (await import_suppliers(text, dry_run=form.get("dry_run") == "1")).as_dict()
    except (InvalidInput, Unprocessable, PayloadTooLarge, UnsupportedMediaType) as error:
        return _imports_page(request, status_code=error.status_code,
                             errors={field: error.message})
    return _imports_page(request, result=result, kind=kind)


HANDLERS = [dashboard, supplier_list, supplier_list_csv, save_filter, delete_filter, supplier_page, send_questionnaire,
            reissue_link, link_sent,
            log_risk, contract_page, upload_contract, set_clause, imports_page,
            run_import]
