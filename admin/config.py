"""piccolo-admin, the back office for raw records, mounted at /admin/ by portal/app.py.

The admin writes through piccolo_api, not our services, so the same rules are applied
here: roles from core/permissions.py decide who may write which table, auditors write
nothing, nothing is hard-deleted, and every change lands in the audit trail.
"""

from __future__ import annotations

from typing import Any

from piccolo.table import Table
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_api.crud.endpoints import PiccoloCRUD
from piccolo_api.crud.hooks import Hook, HookType
from piccolo_api.crud.validators import Validators
from piccolo_api.session_auth.tables import SessionsBase
from starlette.exceptions import HTTPException
from starlette.requests import Request

from models import tables as t
from portal.core import audit, context
from portal.core.permissions import allowed
from portal.core.records import column_names
from portal.core.security import now

# Which permission writes each table; None means nobody edits it by hand.
WRITE_PERMISSION: dict[type[Table], str | None] = {
    t.Organisation: "organisation.write",
    t.Supplier: "register.write",
    t.SupplierContact: "register.write",
    t.Contract: "register.write",
    t.ProductService: "register.write",
    t.Certification: "certifications.write",
    t.ContractClause: "clauses.write",
    t.ClauseDefinition: "clauses.write",
    t.Risk: "risks.write",
    t.Assessment: None,  # status changes go through the assessment service
    t.Answer: None,  # suppliers' words are never edited by staff
    t.AnswerReview: None,
    t.EvidenceFile: None,
    t.ContractDocument: None,
    t.QuestionnaireDefinition: None,
    t.DsptRegisterEntry: "imports.run",
    t.SupplierScore: None,  # computed
    t.AuditEvent: None,  # append-only
    t.OutboundEmail: None,
    t.StaffMember: "staff.manage",
    t.ApiToken: None,  # created by `portal create-token`, which shows the secret once
}


async def _actor(request: Request) -> context.Actor:
    user = request.user.user
    row = await t.StaffMember.select(t.StaffMember.role).where(t.StaffMember.user == user.id).first()
    actor = context.Actor(kind="staff", name=user.username, role=row["role"] if row else None,
                          user_id=user.id)
    context.set_actor(actor)
    return actor


def _write_validator(table: type[Table]):
    permission = WRITE_PERMISSION.get(table)

    async def check(piccolo_crud: PiccoloCRUD, request: Request) -> None:
        actor = await _actor(request)
        if permission is None:
            raise HTTPException(403, f"{table._meta.tablename} is read-only here.")
        if not allowed(actor.role, permission):
            raise HTTPException(403, f"Your role ({actor.role}) may not change "
                                     f"{table._meta.tablename}.")

    return check


def _no_delete(table: type[Table]):
    def refuse(piccolo_crud: PiccoloCRUD, request: Request) -> None:
        hint = " Set 'archived at' instead." if "archived_at" in column_names(table) else ""
        raise HTTPException(405, f"Records are never deleted.{hint}")

    return refuse


def _serialisable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in {"password"}}


def _audit_hooks(table: type[Table]) -> list[Hook]:
    name = table._meta.tablename

    async def on_save(row: Table, request: Request) -> Table:
        await _actor(request)
        if "version" in column_names(table):
            row.version = 1
        await audit.record(f"admin.{name}.created", target_type=name, target_id="new",
                           supplier_id=getattr(row, "supplier", None) if name != "supplier" else None,
                           after=_serialisable(row.to_dict()))
        return row

    async def on_patch(row_id: Any, values: dict[Any, Any], request: Request) -> dict[Any, Any]:
        await _actor(request)
        before = await table.select().where(table._meta.primary_key == row_id).first() or {}
        columns = column_names(table)
        # piccolo_api hands over values keyed by column objects; audit by column name.
        changed = {getattr(k, "_meta", None) and k._meta.name or k: v for k, v in values.items()}
        changed = {k: v for k, v in changed.items() if k not in {"version", "updated_at"}}
        if "id" in changed and str(changed["id"]) != str(row_id):
            raise HTTPException(status_code=400, detail="A record's id can't be changed.")
        col = table._meta.get_column_by_name
        sent_version = next((v for k, v in values.items()
                             if (getattr(k, "_meta", None) and k._meta.name or k) == "version"), None)
        if "version" in columns and before and sent_version is not None \
                and str(sent_version) != str(before["version"]):
            raise HTTPException(status_code=409, detail=(
                f"Someone else changed this {name.replace('_', ' ')} (you edited version "
                f"{sent_version}, it is now version {before['version']}). Reload and try again."))
        if "version" in columns and before:
            values[col("version")] = before["version"] + 1
        if "updated_at" in columns:
            values[col("updated_at")] = now()
        supplier_id = row_id if name == "supplier" else before.get("supplier")
        await audit.record(f"admin.{name}.updated", target_type=name, target_id=row_id,
                           supplier_id=int(supplier_id) if supplier_id is not None else None,
                           before={k: before.get(k) for k in changed},
                           after=_serialisable(changed))
        return values

    return [Hook(HookType.pre_save, on_save), Hook(HookType.pre_patch, on_patch)]


def _config(table: type[Table], *, columns: list[str] | None = None,
            filters: list[str] | None = None, group: str, link: str | None = None) -> TableConfig:
    col = table._meta.get_column_by_name
    write = _write_validator(table)
    return TableConfig(
        table_class=table,
        visible_columns=[col(c) for c in columns] if columns else None,
        visible_filters=[col(c) for c in filters] if filters else None,
        menu_group=group,
        link_column=col(link) if link else None,
        hooks=_audit_hooks(table),
        validators=Validators(post_single=[write], put_single=[write], patch_single=[write],
                              delete_single=[_no_delete(table)], delete_all=[_no_delete(table)]),
    )


def table_configs() -> list[TableConfig]:
    return [
        _config(t.Supplier, group="Register", link="name",
                columns=["id", "name", "legal_name", "ods_code", "supplier_type",
                         "handles_patient_data", "affects_care", "archived_at"],
                filters=["name", "legal_name", "ods_code", "supplier_key", "handles_personal_data",
                         "handles_patient_data", "affects_care", "archived_at"]),
        _config(t.SupplierContact, group="Register", link="name",
                columns=["id", "supplier", "name", "email", "role"],
                filters=["supplier", "name", "email", "role"]),
        _config(t.Contract, group="Register", link="title",
                columns=["id", "supplier", "title", "reference", "start_date", "end_date",
                         "data_role", "patient_data", "system_access",
                         "supports_essential_function", "special_category_data", "archived_at"],
                filters=["supplier", "title", "reference", "data_role", "personal_data",
                         "patient_data", "end_date", "archived_at"]),
        _config(t.ProductService, group="Register", link="name",
                columns=["id", "supplier", "contract", "name"], filters=["supplier", "name"]),
        _config(t.Certification, group="Assurance",
                columns=["id", "supplier", "scheme", "status", "certificate_number", "issued_on",
                         "expires_on", "verification"],
                filters=["supplier", "scheme", "verification", "expires_on", "edition"]),
        _config(t.ContractClause, group="Assurance",
                columns=["id", "contract", "key", "status", "location", "source"],
                filters=["contract", "key", "status", "source"]),
        _config(t.ClauseDefinition, group="Assurance", link="title",
                columns=["id", "key", "title", "required_when"], filters=["key", "required_when"]),
        _config(t.Risk, group="Assurance", link="title",
                columns=["id", "supplier", "kind", "title", "severity", "owner", "status",
                         "accepted_by", "accepted_until"],
                filters=["supplier", "kind", "severity", "status", "owner"]),
        _config(t.SupplierScore, group="Assurance",
                columns=["supplier", "score", "rating", "tier", "computed_at"],
                filters=["rating", "tier"]),
        _config(t.Assessment, group="Questionnaires",
                columns=["id", "supplier", "contact", "definition", "status", "due_date",
                         "submitted_at"],
                filters=["supplier", "status", "due_date"]),
        _config(t.Answer, group="Questionnaires",
                columns=["id", "assessment", "question_id", "version", "updated_at"],
                filters=["assessment", "question_id"]),
        _config(t.AnswerReview, group="Questionnaires",
                columns=["id", "assessment", "question_id", "decision", "reviewer", "created_at"],
                filters=["assessment", "decision"]),
        _config(t.QuestionnaireDefinition, group="Questionnaires",
                columns=["id", "key", "version", "title", "created_at"], filters=["key"]),
        _config(t.EvidenceFile, group="Questionnaires",
                columns=["id", "supplier", "filename", "content_type", "size", "uploaded_at"],
                filters=["supplier", "assessment", "content_type"]),
        _config(t.ContractDocument, group="Assurance",
                columns=["id", "contract", "evidence", "breach_notification_hours", "scanned_at"],
                filters=["contract"]),
        _config(t.DsptRegisterEntry, group="Assurance",
                columns=["ods_code", "organisation_name", "status", "published_on"],
                filters=["ods_code", "organisation_name", "status"]),
        _config(t.Organisation, group="Settings", link="name",
                columns=["id", "name", "ods_code", "dspt_category", "ig_lead_name", "siro_name"]),
        _config(t.StaffMember, group="Settings", columns=["id", "user", "role"],
                filters=["role"]),
        _config(t.ApiToken, group="Settings",
                columns=["id", "name", "role", "prefix", "created_at", "last_used_at",
                         "revoked_at"],
                filters=["role", "revoked_at"]),
        _config(t.OutboundEmail, group="Settings",
                columns=["id", "to_address", "subject", "status", "attempts", "created_at",
                         "sent_at"],
                filters=["status", "to_address", "related_type"]),
        _config(t.AuditEvent, group="Settings",
                columns=["id", "occurred_at", "actor", "action", "target_type", "target_id"],
                filters=["actor", "action", "target_type", "target_id", "supplier_id",
                         "occurred_at"]),
    ]


def build_admin(*, production: bool, allowed_hosts: list[str], site_name: str):
    from piccolo.apps.user.tables import BaseUser

    return create_admin(
        tables=table_configs(),
        auth_table=BaseUser,
        session_table=SessionsBase,
        production=production,
        allowed_hosts=allowed_hosts,
        site_name=site_name,
        page_size=25,
        sidebar_links={"Staff workspace": "/staff/", "API documentation": "/schema"},
    )


def require_second_factor(admin_app):
    """Wrap the back office: a session of a role that needs a second factor only gets in once
    it has passed one (through /staff/login), whichever login page created it."""
    from piccolo_api.session_auth.tables import SessionsBase

    from portal.core.permissions import needs_mfa
    from portal.core.security import SESSION_COOKIE, session_verified, staff_actor

    async def guarded(scope, receive, send) -> None:
        if scope["type"] == "http":
            cookies = {}
            for name, value in scope.get("headers") or []:
                if name == b"cookie":
                    for part in value.decode("latin-1").split(";"):
                        key, _, val = part.strip().partition("=")
                        cookies[key] = val
            token = cookies.get(SESSION_COOKIE, "")
            if token and len(token) < 200:
                user_id = await SessionsBase.get_user_id(token)
                actor = await staff_actor(user_id) if user_id else None
                if actor is not None and needs_mfa(actor.role) and not await session_verified(token):
                    path = scope.get("path", "")
                    # The mount hands the admin its path without the /admin prefix.
                    if scope.get("method") == "GET" and not path.startswith(("/api", "/admin/api")):
                        headers = [(b"location", b"/staff/login?next=/admin/"),
                                   (b"content-length", b"0")]
                        await send({"type": "http.response.start", "status": 303, "headers": headers})
                        await send({"type": "http.response.body", "body": b""})
                        return
                    body = (b'{"detail": "Your role needs a second factor: sign in at '
                            b'/staff/login with your authenticator code."}')
                    await send({"type": "http.response.start", "status": 403,
                                "headers": [(b"content-type", b"application/json"),
                                            (b"content-length", str(len(body)).encode())]})
                    await send({"type": "http.response.body", "body": body})
                    return
        await _with_clear_errors(admin_app, scope, receive, send)

    return guarded


_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _database_refusals() -> tuple[type[Exception], ...]:
    import sqlite3

    from asyncpg.exceptions import DataError, IntegrityConstraintViolationError

    return (sqlite3.IntegrityError, IntegrityConstraintViolationError, DataError)


_DATABASE_REFUSALS = _database_refusals()


class _Refused(Exception):
    """Raised to roll back a back-office write that piccolo_api answered with an error."""


async def _atomic_write(admin_app, scope, receive, send) -> None:
    """A back-office write and its audit event (recorded by the hooks) in one transaction,
    the answer held back until it commits: no audit event for a change that failed, and no
    "saved" for a change the database then lost."""
    from portal.core.db import write_transaction

    body = await _whole_body(receive)
    if body is None:
        await _refuse(send, 413, "The request is too large for the back office (1 MB at most).")
        return
    if b"\\u0000" in body or b"\x00" in body:
        await _refuse(send, 400, "Invalid request: a value contains a NUL character, which "
                                 "can't be stored.")
        return
    replayed = False

    async def replay() -> dict:
        nonlocal replayed
        if replayed:
            return await receive()  # only a disconnect can come after the body
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    messages: list[dict] = []

    async def hold(message) -> None:
        messages.append(message)

    def status() -> int:
        return next((m["status"] for m in messages if m["type"] == "http.response.start"), 500)

    try:
        async with write_transaction():
            try:
                await admin_app(scope, replay, hold)
            except (ValueError, TypeError, KeyError, OverflowError) as error:
                messages.clear()
                raise _Refused(str(error).split(" - ")[0][:200]) from None
            except _DATABASE_REFUSALS as error:
                # piccolo_api turns some of PostgreSQL's refusals into 422 but lets SQLite's
                # (and a few others) through; either way the values were the problem.
                messages.clear()
                reason = str(error).splitlines()[0][:200]
                raise _Refused(f"the database refused these values ({reason})") from None
            if status() >= 400:
                raise _Refused()
    except _Refused as refused:
        if not messages:
            await _refuse(send, 400, f"Invalid request: {refused or 'the values are not valid'}")
            return
        messages = _plain_detail(messages)
    for message in messages:
        await send(message)


_MAX_BODY = 1024 * 1024


async def _whole_body(receive) -> bytes | None:
    """The request body, read up front so it can be checked; None past the size limit."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _plain_detail(messages: list[dict]) -> list[dict]:
    """piccolo-admin shows an error body that is a JSON object as raw JSON (except 405 and
    422), so a refusal's {"detail": "..."} goes back as its plain sentence."""
    import json

    start = next((m for m in messages if m["type"] == "http.response.start"), None)
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    if start is None or start["status"] in (405, 422):
        return messages
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return messages
    if not isinstance(detail, str):
        return messages
    text = detail.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"),
               (b"content-length", str(len(text)).encode())]
    headers += [(k, v) for k, v in start.get("headers", [])
                if k.lower() not in (b"content-type", b"content-length")]
    return [{"type": "http.response.start", "status": start["status"], "headers": headers},
            {"type": "http.response.body", "body": text}]


def _unusable_number(scope) -> str | None:
    """Numbers the database can't hold reach piccolo_api unchecked and fail inside it (after
    its own error page has started), so they are refused before they get there."""
    from urllib.parse import parse_qsl

    for segment in scope.get("path", "").split("/"):
        if segment.isdigit() and len(segment) > 18:
            return "that id is too large"
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    for name, value in query:
        if name in ("__page", "__page_size") and not (value.isdigit() and 0 < int(value) <= 1_000_000):
            return f"{name} must be a whole number from 1 to 1,000,000"
        if value.lstrip("-").isdigit() and len(value) > 18:
            return f"{name} is too large a number"
    return None


async def _refuse(send, status: int, detail: str) -> None:
    import json

    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _with_clear_errors(admin_app, scope, receive, send) -> None:
    """piccolo_api passes on errors for query parameters it can't use (an unknown column to
    order or filter by, a malformed value, a number too big for the database); that is the
    caller's mistake, so a 400 that says so, not a 500."""
    started = False

    async def tracking_send(message) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    from asyncpg.exceptions import DataError

    if scope["type"] == "http" and (problem := _unusable_number(scope)):
        await _refuse(send, 400, f"Invalid request: {problem}.")
        return
    if scope["type"] == "http" and scope.get("method") in _WRITES \
            and not scope.get("path", "").startswith("/public/"):
        # (not the sign-in form: it changes no records, and hashing a password inside a
        # transaction would hold SQLite's write lock for its whole duration)
        await _atomic_write(admin_app, scope, receive, send)
        return
    try:
        await admin_app(scope, receive, tracking_send)
    except (ValueError, TypeError, KeyError, OverflowError, DataError) as error:
        if started or scope["type"] != "http":
            raise
        import structlog

        structlog.get_logger("portal.admin").warning(
            "admin_bad_request", error=type(error).__name__, detail=str(error)[:200])
        detail = str(error).split(" - ")[0][:200] or "the parameters are not valid"
        await _refuse(send, 400, f"Invalid request: {detail}")
