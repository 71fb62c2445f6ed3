"""Campaign pages: choose a questionnaire and a filter, preview who gets it (and who is
skipped and why), send; then follow the responses and chase the overdue ones.

Preview and Send are one form: Send appears once a preview has been shown, and carries a
fingerprint of what was previewed (a changed filter shows the preview again rather than
sending to people nobody looked at) and a one-time request key (a double press finds the
campaign the first press made)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from portal.assessments import campaigns
from portal.assessments import service as assessments
from portal.assessments.campaign_rules import (
    ANNUAL_REASSESSMENT,
    BUNDLE,
    RATINGS,
    SUPPLIER_TYPES,
    TIERS,
    Filter,
)
from portal.core.context import current_actor
from portal.core.errors import InvalidInput
from portal.core.permissions import READ
from portal.core.schemas import MAX_ID
from portal.staff import auth
from portal.staff.forms import date_parts, date_value, text_values
from portal.staff.rendering import render

Id = Annotated[int, Parameter(gt=0, le=MAX_ID)]
SEND = {"permission": "assessments.send"}
PAGE_SIZE = 50
TYPE_WORDS = {"it_system": "IT system", "it_service": "IT service", "non_it": "Not IT"}


def _blank(preset: str | None) -> dict[str, Any]:
    due = dt.date.today() + dt.timedelta(days=28)
    typed: dict[str, Any] = {"name": "", "questionnaire": "ndg10-supplier-due-diligence",
                             "tiers": [], "ratings": [], "supplier_types": [],
                             "older_than": "", "skip_open": "1",
                             "due_date-day": str(due.day), "due_date-month": str(due.month),
                             "due_date-year": str(due.year)}
    if preset == "annual":
        # Each supplier's tier's questionnaires, each only where its last accepted one is
        # older than 11 months (or it never had one).
        typed |= {"name": f"Annual reassessment {dt.date.today().year}", "questionnaire": BUNDLE,
                  "older_than": str(ANNUAL_REASSESSMENT.diligence_older_than_months)}
    return typed


def _read(form: Any, raw: Any) -> tuple[dict[str, Any], Filter | None, dt.date | None,
                                         dict[str, str]]:
    """`form` as checked (one value a name), `raw` the posted form (ticked boxes repeat)."""
    typed: dict[str, Any] = text_values(form, ("name", "questionnaire", "older_than",
                                               "skip_open", "request_key", "previewed"),
                                        max_length=300)
    errors: dict[str, str] = {}
    for name, allowed in (("tiers", TIERS), ("ratings", RATINGS),
                          ("supplier_types", SUPPLIER_TYPES)):
        chosen = [v for v in raw.getall(name) if isinstance(v, str)] if name in raw else []
        typed[name] = [v for v in chosen if v in allowed]
    for field in ("due_date", "contract_ends_before"):
        typed.update(date_parts(form, field))
    if not typed["name"]:
        errors["name"] = "Enter a name for the campaign"
    elif len(typed["name"]) > 200:
        errors["name"] = "The campaign name must be 200 characters or fewer"
    if typed["questionnaire"] != BUNDLE and typed["questionnaire"] not in {
            d.key for d in assessments.available_questionnaires()}:
        errors["questionnaire"] = "Choose a questionnaire"
    months = None
    if typed["older_than"]:
        try:
            months = int(typed["older_than"])
            if not 0 <= months <= 120:
                raise ValueError
        except ValueError:
            errors["older_than"] = "Enter the number of months as a whole number from 0 to 120"
    ends, ok = date_value({k: typed[k] for k in typed if k.startswith("contract_ends_before-")},
                          "contract_ends_before")
    if not ok:
        errors["contract_ends_before"] = ("The contract end date must be a real date, "
                                          "for example 31 3 2027")
    due, ok = date_value({k: typed[k] for k in typed if k.startswith("due_date-")}, "due_date")
    due_date = dt.date.fromisoformat(due) if due else None
    if due_date is None:
        errors["due_date"] = ("Enter the due date" if ok else
                              "The due date must be a real date, for example 31 3 2027")
    elif not dt.date.today() <= due_date <= dt.date.today() + dt.timedelta(days=366):
        errors["due_date"] = "The due date must be today or later, and within a year"
    rule = None if errors else Filter(
        tiers=tuple(typed["tiers"]), ratings=tuple(typed["ratings"]),
        supplier_types=tuple(typed["supplier_types"]), diligence_older_than_months=months,
        contract_ends_before=dt.date.fromisoformat(ends) if ends else None,
        skip_open=typed["skip_open"] == "1")
    return typed, rule, due_date, errors


def _fingerprint(questionnaire: str, rule: Filter) -> str:
    text = json.dumps({"q": questionnaire, "f": rule.as_json()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _new_page(request: Request, *, typed: dict[str, Any], errors: dict[str, str] | None = None,
              preview: dict[str, Any] | None = None, note: str | None = None,
              status_code: int = 200) -> Template:
    return render(request, "staff/campaign_new.html", status_code=status_code,
                  page_title="New campaign", typed=typed, errors=errors or {}, preview=preview,
                  note=note, questionnaires=assessments.available_questionnaires(),
                  bundle=BUNDLE, bundle_title=campaigns.BUNDLE_TITLE,
                  required=campaigns.required_by_tier(),
                  tiers=TIERS, ratings=RATINGS, types=TYPE_WORDS)


@get("/campaigns", opt={"permission": READ})
async def campaign_list(request: Request) -> Template:
    try:
        page = max(1, min(int(request.query_params.get("page", "1")), 100_000))
    except ValueError:
        page = 1
    rows, total = await campaigns.list_campaigns(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(request, "staff/campaigns.html", page_title="Campaigns", rows=rows,
                  total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)))


@get("/campaigns/new", opt=SEND)
async def new_campaign(request: Request) -> Template:
    return _new_page(request, typed=_blank(request.query_params.get("preset")))


@post("/campaigns/new", opt=SEND, status_code=200)
async def preview_or_send(request: Request) -> Response:
    form = await auth.check_csrf(request)
    typed, rule, due_date, errors = _read(form, await request.form())
    if errors or rule is None or due_date is None:
        return _new_page(request, typed=typed, errors=errors, status_code=400)
    fingerprint = _fingerprint(typed["questionnaire"], rule)
    wants_send = text_values(form, ("action",))["action"] == "send"
    if wants_send and typed["previewed"] == fingerprint and typed["request_key"]:
        try:
            started = await campaigns.start(
                name=typed["name"], questionnaire=typed["questionnaire"], rule=rule,
                due_date=due_date, request_key=typed["request_key"],
                created_by=current_actor().name)
        except InvalidInput as error:
            return _new_page(request, typed=typed, errors={}, note=error.message,
                             status_code=400)
        return Redirect(f"/staff/campaigns/{started['campaign']['id']}", status_code=303)
    shown = await campaigns.preview(questionnaire=typed["questionnaire"], rule=rule)
    typed |= {"previewed": fingerprint, "request_key": secrets.token_urlsafe(24)}
    note = ("The filter changed after the preview: check who gets it now, then send."
            if wants_send else None)
    return _new_page(request, typed=typed, preview=shown, note=note)


@get("/campaigns/{campaign_id:int}", opt={"permission": READ})
async def campaign_page(request: Request, campaign_id: Id) -> Template:
    campaign = await campaigns.detail(campaign_id)
    return render(request, "staff/campaign.html", page_title=campaign["name"], c=campaign,
                  notice=request.query_params.get("notice"),
                  chased=request.query_params.get("chased"))


@post("/campaigns/{campaign_id:int}/send", opt=SEND, status_code=303)
async def send_next_batch(request: Request, campaign_id: Id) -> Response:
    await auth.check_csrf(request)
    await campaigns.send_batch(campaign_id)
    return Redirect(f"/staff/campaigns/{campaign_id}?notice=batch", status_code=303)


@post("/campaigns/{campaign_id:int}/chase-overdue", opt=SEND, status_code=303)
async def chase_overdue(request: Request, campaign_id: Id) -> Response:
    await auth.check_csrf(request)
    chased = await campaigns.chase_overdue(campaign_id)
    return Redirect(f"/staff/campaigns/{campaign_id}?notice=chased&chased={chased}",
                    status_code=303)


HANDLERS = [campaign_list, new_campaign, preview_or_send, campaign_page, send_next_batch,
            chase_overdue]
