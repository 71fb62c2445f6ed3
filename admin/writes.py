"""Back-office writes, sent to the same service functions as the API.

piccolo-admin's forms POST a new row to /api/tables/<table>/ and PATCH (or PUT) a whole row
to /api/tables/<table>/<id>/. Here each table with a service maps the form's columns onto
that service's request schema, calls it (validation, the audit event in the same
transaction, optimistic versions and derived data, once), and answers in the JSON shape
piccolo-admin expects. A table without a service is read-only in the back office; so are
secret columns, which no form ever writes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from piccolo.table import Table
from pydantic import BaseModel, ValidationError

from admin import policy
from admin.responses import send_json, send_text
from models import tables as t
from portal.core.context import Actor
from portal.core.errors import PortalError
from portal.core.permissions import allowed
from portal.core.schemas import MAX_ID

# Columns the system keeps; a form sends them back as they were and they are ignored.
SYSTEM_COLUMNS = frozenset({"id", "version", "created_at", "updated_at"})


@dataclass(frozen=True)
class Service:
    table: type[Table]
    permission: str
    create_model: type[BaseModel] | None
    patch_model: type[BaseModel] | None
    create: Callable[[Any], Awaitable[dict[str, Any]]] | None
    update: Callable[[int, Any, dict[str, Any]], Awaitable[dict[str, Any]]] | None
    archive: Callable[[int, dict[str, Any]], Awaitable[Any]] | None = None
    rename: dict[str, str] = field(default_factory=dict)  # column -> schema field
    parent: str | None = None  # a column the create function takes on its own (not in the schema)


def services() -> dict[str, Service]:
    from portal.certifications import service as certifications
    from portal.certifications.schemas import CertificationCreate, CertificationPatch
    from portal.risks import api as risks
    from portal.suppliers import service as suppliers
    from portal.suppliers.schemas import (
        ContactCreate,
        ContactPatch,
        ContractCreate,
        ContractPatch,
        SubProcessorCreate,
        SubProcessorPatch,
        SupplierCreate,
        SupplierPatch,
    )

    async def create_subprocessor(data: SubProcessorCreate, supplier_id: int) -> dict[str, Any]:
        return await suppliers.create_subprocessor(supplier_id, data)

    async def create_contact(data: ContactCreate, supplier_id: int) -> dict[str, Any]:
        return await suppliers.create_contact(supplier_id, data)

    return {
        "supplier": Service(
            t.Supplier, "register.write", SupplierCreate, SupplierPatch,
            suppliers.create_supplier,
            lambda row_id, patch, current: suppliers.update_supplier(row_id, patch),
            lambda row_id, current: suppliers.archive_supplier(row_id)),
        "supplier_contact": Service(
            t.SupplierContact, "register.write", ContactCreate, ContactPatch,
            create_contact,
            lambda row_id, patch, current: suppliers.update_contact(
                current["supplier"], row_id, patch),
            lambda row_id, current: suppliers.archive_contact(current["supplier"], row_id),
            parent="supplier"),
        "contract": Service(
            t.Contract, "register.write", ContractCreate, ContractPatch,
            suppliers.create_contract,
            lambda row_id, patch, current: suppliers.update_contract(row_id, patch),
            lambda row_id, current: suppliers.archive_contract(row_id),
            rename={"supplier": "supplier_id"}),
        "sub_processor": Service(
            t.SubProcessor, "register.write", SubProcessorCreate, SubProcessorPatch,
            create_subprocessor,
            lambda row_id, patch, current: suppliers.update_subprocessor(row_id, patch),
            lambda row_id, current: suppliers.archive_subprocessor(row_id),
            parent="supplier"),
        "certification": Service(
            t.Certification, "certifications.write", CertificationCreate, CertificationPatch,
            certifications.create_certification,
            lambda row_id, patch, current: certifications.update_certification(row_id, patch),
            lambda row_id, current: certifications.archive_certification(row_id),
            rename={"supplier": "supplier_id"}),
        "risk": Service(
            t.Risk, "risks.write", risks.RiskCreate, risks.RiskPatch, risks.log_risk,
            lambda row_id, patch, current: risks.update_risk(row_id, patch),
            rename={"supplier": "supplier_id"}),
    }


_SERVICES: dict[str, Service] | None = None


def service_for(table: str) -> Service | None:
    global _SERVICES
    if _SERVICES is None:
        _SERVICES = services()
    return _SERVICES.get(table)


def same(sent: Any, stored: Any) -> bool:
    """Whether a form's value is the stored one (forms send every field back, as JSON)."""
    if stored is None:
        return sent is None or sent == ""
    if isinstance(stored, bool) or isinstance(sent, bool):
        return sent is stored
    if isinstance(stored, dt.datetime):
        try:
            parsed = dt.datetime.fromisoformat(str(sent).replace("Z", "+00:00"))
        except ValueError:
            return False
        if parsed.tzinfo is None or stored.tzinfo is None:
            parsed, stored = parsed.replace(tzinfo=None), stored.replace(tzinfo=None)
        return abs((parsed - stored).total_seconds()) < 1
    if isinstance(stored, dt.date):
        return str(sent)[:10] == stored.isoformat()
    if isinstance(stored, Decimal):
        try:
            return Decimal(str(sent)) == stored
        except InvalidOperation:
            return False
    return sent == stored or (isinstance(sent, str | int) and str(sent) == str(stored)
                              and not isinstance(stored, str))


def coerce(table: type[Table], values: dict[str, Any]) -> dict[str, Any]:
    """piccolo-admin's forms send every value as text ("true", "1"); give booleans and whole
    numbers their JSON type, so that the service's strict schemas judge the value itself."""
    from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, SmallInt

    columns = {c._meta.name: c for c in table._meta.columns}
    out = {}
    for key, value in values.items():
        column = columns.get(key)
        if isinstance(value, str) and column is not None:
            text = value.strip()
            if isinstance(column, Boolean) and text in ("true", "false"):
                value = text == "true"
            elif isinstance(column, Integer | BigInt | SmallInt | ForeignKey):
                if text.lstrip("-").isdigit() and len(text) <= 18:
                    value = int(text)
                elif text == "" and column._meta.null:
                    value = None
        out[key] = value
    return out


def _is_timestamp(value: Any) -> bool:
    try:
        dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _unchangeable(name: str) -> dict[str, Any]:
    return {"loc": ["body", name], "msg": "can't be changed in the back office", "type": "value_error"}


def _errors(error: ValidationError, rename: dict[str, str]) -> list[dict[str, Any]]:
    back = {v: k for k, v in rename.items()}
    return [{"loc": ["body", *(back.get(str(p), str(p)) for p in e["loc"])] or ["body"],
             "msg": e["msg"].removeprefix("Value error, "), "type": e["type"]}
            for e in error.errors()]


def _jsonable(table: str, row: dict[str, Any]) -> dict[str, Any]:
    hidden = policy.hidden_columns(table)
    out = {}
    for key, value in row.items():
        if key in hidden:
            continue
        if isinstance(value, dt.date | dt.datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[key] = value
    return out


def _database_refusals() -> tuple[type[Exception], ...]:
    import sqlite3

    from asyncpg.exceptions import DataError, IntegrityConstraintViolationError

    return (sqlite3.IntegrityError, IntegrityConstraintViolationError, DataError)


_DATABASE_REFUSALS = _database_refusals()
_ROW = re.compile(r"^(\d{1,10})/$")


async def dispatch(actor: Actor, table: str, rest: str, method: str, body: bytes, send) -> None:
    """One back-office write: to its service, or refused."""
    service = service_for(table)
    label = table.replace("_", " ")
    if method == "DELETE":
        hint = " Set 'archived at' instead." if service and service.archive else ""
        await send_text(send, 405, f"Records are never deleted.{hint}", json_body=False)
        return
    if service is None:
        await send_text(send, 405, f"{label.capitalize()} is read-only in the back office; "
                                   "it changes through the staff workspace or its own service.",
                        json_body=False)
        return
    if not allowed(actor.role, service.permission):
        await send_text(send, 403, f"Your role ({actor.role}) may not change {label}.",
                        json_body=False)
        return
    if b"\x00" in body or b"\\u0000" in body:
        await send_text(send, 400, "Invalid request: a value contains a NUL character, which "
                                   "can't be stored.", json_body=False)
        return
    try:
        values = json.loads(body or b"null")
    except ValueError:
        values = None
    if not isinstance(values, dict):
        await send_text(send, 400, "Invalid request: send the record as a JSON object.",
                        json_body=False)
        return
    values = coerce(service.table, values)
    row_match = _ROW.match(rest)
    try:
        if rest == "" and method == "POST":
            await _create(service, table, values, send)
        elif row_match and method in ("PATCH", "PUT"):
            await _update(service, table, int(row_match[1]), values, send)
        else:
            await send_text(send, 405, "The back office doesn't do that.", json_body=False)
    except ValidationError as error:
        await send_json(send, 422, {"detail": _errors(error, service.rename)})
    except PortalError as error:
        await send_text(send, error.status_code, error.message, json_body=False)
    except _DATABASE_REFUSALS as error:
        reason = str(error).splitlines()[0][:200]
        await send_text(send, 400, f"Invalid request: the database refused these values "
                                   f"({reason}).", json_body=False)


def _column_default(table: type[Table], name: str) -> Any:
    column = table._meta.get_column_by_name(name)
    default = column.get_default_value()
    return default() if callable(default) else default


async def _create(service: Service, table: str, values: dict[str, Any], send) -> None:
    assert service.create is not None and service.create_model is not None
    columns = {c._meta.name for c in service.table._meta.columns}
    fields, problems = {}, []
    parent = values.pop(service.parent, None) if service.parent else None
    if service.parent and not (isinstance(parent, int) and 0 < parent <= MAX_ID):
        await send_json(send, 422, {"detail": [{"loc": ["body", service.parent],
                                                "msg": "choose one", "type": "missing"}]})
        return
    for key, value in values.items():
        name = service.rename.get(key, key)
        if name in service.create_model.model_fields:
            if key in columns and (
                    value is None and _column_default(service.table, key) is not None
                    or value == "" and _column_default(service.table, key) == ""):
                continue  # a blank field in the form: the schema's default applies
            fields[name] = value
        elif key in SYSTEM_COLUMNS or key == "archived_at" and value in (None, ""):
            continue
        elif key in columns and (value in (None, "") or
                                 same(value, _column_default(service.table, key))):
            continue  # a column the form shows with its default; the service sets it
        else:
            problems.append(_unchangeable(key))
    if problems:
        await send_json(send, 422, {"detail": problems})
        return
    model = service.create_model.model_validate(fields)
    row = await (service.create(model, parent) if service.parent else service.create(model))
    await send_json(send, 201, [{"id": row["id"]}])


async def _update(service: Service, table: str, row_id: int, values: dict[str, Any], send) -> None:
    from portal.core.db import write_transaction
    from portal.core.errors import NotFound

    assert service.update is not None and service.patch_model is not None
    current = await service.table.select().where(service.table._meta.primary_key == row_id).first()
    if current is None:
        raise NotFound(f"No {table.replace('_', ' ')} with id {row_id}.")
    changes, problems, archive = {}, [], False
    for key, value in values.items():
        name = service.rename.get(key, key)
        if key == "archived_at":
            if current["archived_at"] is None and value not in (None, ""):
                if service.archive is None:
                    problems.append(_unchangeable(key))
                archive = True
            elif current["archived_at"] is not None and not same(value, current["archived_at"]):
                problems.append({"loc": ["body", key], "msg": "an archived record is restored "
                                 "through the API or the workspace", "type": "value_error"})
            continue
        if key == "version":
            continue  # the version the editor saw: checked by the service
        if key in ("created_at", "updated_at"):
            # Kept by the system; a screen opened before the last save sends older ones.
            if value is not None and not _is_timestamp(value):
                problems.append({"loc": ["body", key], "msg": "not a date and time",
                                 "type": "value_error"})
            continue
        if key not in current:
            problems.append({"loc": ["body", key], "msg": "no such field", "type": "value_error"})
        elif same(value, current[key]):
            continue
        elif name in service.patch_model.model_fields and key not in SYSTEM_COLUMNS:
            changes[name] = value
        else:
            problems.append(_unchangeable(key))
    if problems:
        await send_json(send, 422, {"detail": problems})
        return
    version = values.get("version")
    if (changes or archive) and not isinstance(version, int):
        # Without the version the editor loaded, a save could silently overwrite someone
        # else's: every change names it (piccolo-admin's forms send it with every field).
        await send_text(send, 428, "Send the record's version (the one you loaded) with the "
                                   "change, so that a newer edit isn't overwritten. Reload the "
                                   "record and save again.", json_body=False)
        return
    patch = service.patch_model.model_validate(
        {**changes, "version": version if isinstance(version, int) else None})
    async with write_transaction():  # the change and the archiving stand or fall together
        if changes:
            await service.update(row_id, patch, current)
        if archive and service.archive is not None:
            await service.archive(row_id, current)
    row = await service.table.select().where(service.table._meta.primary_key == row_id).first()
    await send_json(send, 200, _jsonable(table, row))
