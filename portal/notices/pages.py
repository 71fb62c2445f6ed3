"""The supplier's standing notice page (/notify/{token}): tell us of an intended
sub-processor change. NHS.UK form, no JavaScript needed; a wrong link is the same 404 as a
wrong questionnaire link, and misses count towards the same per-address limit."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException
from litestar.response import Template

from portal.assessments.controllers import link_misses
from portal.assessments.pages import _http_error, _not_found, form_token
from portal.core.errors import InvalidInput, TooManyRequests
from portal.core.http import client_address
from portal.core.security import constant_time_equal
from portal.notices import rules, service
from portal.suppliers import service as suppliers

TRANSFERS = [("uk", "No transfer: the data stays in the UK"),
             ("adequacy", "A country with UK adequacy regulations"),
             ("idta", "International Data Transfer Agreement (IDTA)"),
             ("uk_addendum", "UK Addendum to the EU standard contractual clauses"),
             ("none", "No safeguard"), ("unknown", "Not known yet")]
FIELDS = ("change", "subprocessor_id", "name", "service", "data_processed", "location",
          "transfer_mechanism", "tra_reference", "intended_start")


async def _link(request: Request, token: str) -> dict[str, Any]:
    try:
        return await service.supplier_for_token(token)
    except service.NoticeLinkNotFound:
        if await link_misses.hit(client_address(request)):
            raise TooManyRequests("Too many invalid links from your address; wait a few minutes.") from None
        raise


async def _form(request: Request, token: str, link: dict, *, typed: dict | None = None,
                errors: dict | None = None, status_code: int = 200) -> Template:
    current = await suppliers.list_subprocessors(link["supplier"], supplier_known=True)
    return Template("notify/form.html", status_code=status_code, context={
        "page_title": "Tell us about a sub-processor change", "token": token,
        "csrf": form_token(token), "supplier_name": link["supplier_name"], "current": current,
        "typed": typed or {}, "errors": errors or {}, "transfers": TRANSFERS,
        "organisation": await service._organisation()})


def _page_error(request: Request, exc: Exception) -> Any:
    if isinstance(exc, service.NoticeLinkNotFound):
        return _not_found()
    if isinstance(exc, HTTPException):
        return _http_error(request, exc)
    raise exc


class NoticePages(Controller):
    path = "/notify"
    include_in_schema = False
    exception_handlers = {service.NoticeLinkNotFound: _page_error, HTTPException: _page_error}

    @get("/{token:str}", opt={"public": True})
    async def show(self, request: Request, token: str) -> Template:
        link = await _link(request, token)
        return await _form(request, token, link)

    @post("/{token:str}", opt={"public": True}, status_code=200)
    async def submit(self, request: Request, token: str) -> Template:
        link = await _link(request, token)
        form = await request.form()
        typed = {k: str(form.get(k) or "").strip() for k in FIELDS}
        for part in ("day", "month", "year"):
            typed[f"intended_start-{part}"] = str(form.get(f"intended_start-{part}") or "").strip()
        if not constant_time_equal(str(form.get("csrf") or ""), form_token(token)):
            raise InvalidInput("This form has expired. Go back, reload the page and try again.")
        day, month, year = (typed[f"intended_start-{p}"] for p in ("day", "month", "year"))
        start = f"{year.zfill(4)}-{month.zfill(2)}-{day.zfill(2)}" if day and month and year else ""
        try:
            notice = await service.record_notice(link["supplier"], {**typed, "intended_start": start},
                                                 source="link", source_detail="the supplier's notice link")
        except InvalidInput as error:
            return await _form(request, token, link, typed=typed, status_code=400,
                               errors=error.extra.get("errors") or {"change": error.message})
        return Template("notify/received.html", context={
            "page_title": "Notice received", "notice": notice,
            "organisation": await service._organisation(), "days": rules.load_policy()["objection_days"]})
