"""Workspace screens for a supplier's sub-processors: who else handles our data, and where.

Thin: read the boxes, call the register's service (audited there), re-render with messages
in the user's words when refused."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from portal.core.errors import Conflict
from portal.core.schemas import MAX_ID
from portal.staff import auth
from portal.staff.forms import Field, date_parts, date_value, field_errors, text_values
from portal.staff.register import TRANSFER_MECHANISMS
from portal.staff.rendering import render
from portal.suppliers import service as suppliers
from portal.suppliers.schemas import SubProcessorCreate, SubProcessorPatch

WRITE = {"permission": "register.write"}
Id = Annotated[int, Parameter(gt=0, le=MAX_ID)]

TEXT = ("name", "service", "data_processed", "location", "transfer_mechanism", "tra_reference",
        "notes")
DATES = (("since", "Since (optional)"), ("until", "Stopped on (optional)"))
FIELDS = {
    "name": Field("Enter the sub-processor's name.",
                  "Enter the name in ordinary letters, numbers and punctuation.", "The name"),
    "service": Field("", "Describe the service in ordinary text, up to 300 characters."),
    "data_processed": Field("", "Describe the data in ordinary text, up to 10,000 characters."),
    "location": Field("", "Enter the countries in ordinary letters, up to 200 characters."),
    "transfer_mechanism": Field("", "Choose how our data is protected if it leaves the UK."),
    "tra_reference": Field("", "Enter the reference in ordinary letters and numbers, up to 100 "
                               "characters."),
    "since": Field("", "Enter a real date, like 1 4 2025."),
    "until": Field("", "Enter a real date on or after the date it started, like 31 3 2026."),
    "notes": Field("", "Enter the notes in ordinary text, up to 10,000 characters."),
    "version": Field("", "Reload the page and make your change again."),
}
RULES = (("until must be", "until"),)


def _form(request: Request, *, supplier: dict[str, Any], row: dict[str, Any] | None,
          typed: dict[str, str], errors: dict[str, str] | None = None, status_code: int = 200,
          conflict: str | None = None) -> Template:
    return render(request, "staff/subprocessor_form.html", status_code=status_code,
                  page_title="Change a sub-processor" if row else "Add a sub-processor",
                  s=supplier, row=row, typed=typed, errors=errors or {}, conflict=conflict,
                  transfer_mechanisms=TRANSFER_MECHANISMS, dates=DATES)


def _values(form: Any) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    typed = text_values(form, TEXT + ("version",))
    values: dict[str, Any] = {k: typed[k] for k in TEXT if k in form}
    if not values.get("transfer_mechanism"):
        values.pop("transfer_mechanism", None)
    errors: dict[str, str] = {}
    for field, _ in DATES:
        parts = date_parts(form, field)
        typed.update(parts)
        iso, ok = date_value(parts, field)
        if not ok:
            errors[field] = FIELDS[field].invalid
        else:
            values[field] = iso or None
    if values.get("since") and values.get("until") and values["until"] < values["since"]:
        errors["until"] = FIELDS["until"].invalid
    if typed["version"]:
        values["version"] = typed["version"]
    return typed, values, errors


def _typed(row: dict[str, Any]) -> dict[str, str]:
    typed = {k: str(row[k] or "") for k in TEXT} | {"version": str(row["version"])}
    for field, _ in DATES:
        day = row[field]
        if day:
            typed.update({f"{field}-day": str(day.day), f"{field}-month": str(day.month),
                          f"{field}-year": str(day.year)})
    return typed


@get("/suppliers/{supplier_id:int}/subprocessors/new", opt=WRITE)
async def new_subprocessor(request: Request, supplier_id: Id) -> Template:
    supplier = await suppliers.get_active_supplier(supplier_id)
    return _form(request, supplier=supplier, row=None, typed={"transfer_mechanism": "unknown"})


@post("/suppliers/{supplier_id:int}/subprocessors/new", opt=WRITE, status_code=303)
async def create_subprocessor(request: Request, supplier_id: Id) -> Response:
    form = await auth.check_csrf(request)
    supplier = await suppliers.get_active_supplier(supplier_id)
    typed, values, errors = _values(form)
    values.pop("version", None)
    try:
        data = SubProcessorCreate.model_validate(values)
    except ValidationError as error:
        errors = {**field_errors(error, FIELDS, RULES), **errors}
    if errors:
        return _form(request, supplier=supplier, row=None, typed=typed, errors=errors,
                     status_code=400)
    await suppliers.create_subprocessor(supplier_id, data)
    return Redirect(f"/staff/suppliers/{supplier_id}?notice=subprocessor_added#subprocessors",
                    status_code=303)


@get("/subprocessors/{subprocessor_id:int}/edit", opt=WRITE)
async def edit_subprocessor(request: Request, subprocessor_id: Id) -> Template:
    row = await suppliers.get_subprocessor(subprocessor_id)
    supplier = await suppliers.get_active_supplier(row["supplier"])
    return _form(request, supplier=supplier, row=row, typed=_typed(row))


@post("/subprocessors/{subprocessor_id:int}/edit", opt=WRITE, status_code=303)
async def update_subprocessor(request: Request, subprocessor_id: Id) -> Response:
    form = await auth.check_csrf(request)
    row = await suppliers.get_subprocessor(subprocessor_id)
    supplier = await suppliers.get_active_supplier(row["supplier"])
    typed, values, errors = _values(form)
    if not values.get("name"):
        errors.setdefault("name", FIELDS["name"].missing)
    try:
        patch = SubProcessorPatch.model_validate(values)
    except ValidationError as error:
        errors = {**field_errors(error, FIELDS, RULES), **errors}
    if errors:
        return _form(request, supplier=supplier, row=row, typed=typed, errors=errors,
                     status_code=400)
    try:
        await suppliers.update_subprocessor(subprocessor_id, patch)
    except Conflict as error:
        latest = await suppliers.get_subprocessor(subprocessor_id)
        return _form(request, supplier=supplier, row=latest, typed=typed, status_code=409,
                     conflict=error.message)
    return Redirect(f"/staff/suppliers/{supplier['id']}?notice=subprocessor_changed"
                    "#subprocessors", status_code=303)


HANDLERS = [new_subprocessor, create_subprocessor, edit_subprocessor, update_subprocessor]
