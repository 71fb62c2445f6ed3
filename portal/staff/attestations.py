"""Workspace screens for the IG lead's attestations of CAF A4.a statements the records can't
show (NA5, PA1, A1-A3 ...). Thin: read the boxes, call the attestation service (audited there),
re-render with messages in the user's words when refused."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from portal.core.permissions import READ
from portal.reports import attestations, frameworks
from portal.reports.attestations import AttestationCreate
from portal.staff import auth
from portal.staff.forms import Field, field_errors, text_values, yes_no
from portal.staff.rendering import render

WRITE = {"permission": "attestations.write"}
Year = Annotated[str, Parameter(pattern=attestations.YEAR_PATTERN, description="e.g. 2026-27")]
FIELDS = {
    "value": Field("Choose whether the statement is true for the organisation.",
                   "Choose Yes or No."),
    "note": Field("", "Enter the note in ordinary text, up to 10,000 characters.", "The note"),
    "role": Field("Enter your role, for example IG lead.",
                  "Enter your role in 2 to 60 ordinary characters, for example IG lead.", "The role"),
}


def _statement(year: str, statement_id: str) -> frameworks.Statement:
    if year not in frameworks.years():
        raise NotFoundException()
    found = next((s for s in attestations.attestable() if s.id == statement_id), None)
    if found is None:
        raise NotFoundException()
    return found


@get("/attestations", opt={"permission": READ})
async def attestation_list(request: Request, year: Annotated[str | None, Parameter(
        pattern=attestations.YEAR_PATTERN)] = None) -> Template:
    year = year if year in frameworks.years() else frameworks.live_year()
    latest = await attestations.current(year)
    rows = [{"statement": s, "row": latest.get(s.id)} for s in attestations.attestable()]
    return render(request, "staff/attestations.html", page_title="CAF A4.a attestations",
                  year=year, years=frameworks.years(), rows=rows,
                  notice=request.query_params.get("notice"))


def _form(request: Request, *, year: str, statement: frameworks.Statement, typed: dict,
          errors: dict | None = None, status_code: int = 200, latest: dict | None = None) -> Template:
    return render(request, "staff/attestation_form.html", status_code=status_code,
                  page_title=f"Attest {statement.id}", year=year, statement=statement,
                  typed=typed, errors=errors or {}, latest=latest)


@get("/attestations/{year:str}/{statement_id:str}", opt=WRITE)
async def attestation_form(request: Request, year: Year, statement_id: str) -> Template:
    statement = _statement(year, statement_id)
    latest = (await attestations.current(year)).get(statement.id)
    typed = {"role": latest["role"] if latest else "IG lead", "note": latest["note"] if latest else "",
             "value": ("yes" if latest["value"] else "no") if latest else ""}
    return _form(request, year=year, statement=statement, typed=typed, latest=latest)


@post("/attestations/{year:str}/{statement_id:str}", opt=WRITE, status_code=303)
async def attest(request: Request, year: Year, statement_id: str) -> Response:
    form = await auth.check_csrf(request)
    statement = _statement(year, statement_id)
    typed = text_values(form, ("value", "note", "role"))
    errors: dict[str, str] = {}
    value = yes_no(typed["value"])
    if value is None:
        errors["value"] = FIELDS["value"].missing
    try:
        data = AttestationCreate.model_validate({
            "toolkit_year": year, "statement_id": statement.id, "value": bool(value),
            "note": typed["note"], "role": typed["role"]})
    except ValidationError as error:
        errors = {**errors, **field_errors(error, FIELDS)}
    if errors:
        latest = (await attestations.current(year)).get(statement.id)
        return _form(request, year=year, statement=statement, typed=typed, errors=errors,
                     status_code=400, latest=latest)
    await attestations.attest(data)
    return Redirect(f"/staff/attestations?year={year}&notice=attested#{statement.id}",
                    status_code=303)


HANDLERS = [attestation_list, attestation_form, attest]
