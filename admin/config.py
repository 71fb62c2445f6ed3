"""piccolo-admin, the back office for raw records, mounted at /admin/ by portal/app.py.

piccolo-admin only draws the screens and answers reads here. admin/gate.py stands in front of
it: one sign-in (/staff/login, second factor included), reads by role and column
(admin/policy.py), and writes sent to the portal's own services (admin/writes.py), so the
back office applies the same validation, audit, versions and derived data as the API.
"""

from __future__ import annotations

import datetime as dt

from piccolo.apps.user.tables import BaseUser
from piccolo.table import Table
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_api.crud.endpoints import PiccoloCRUD
from piccolo_api.crud.validators import Validators
from piccolo_api.session_auth.tables import SessionsBase
from starlette.exceptions import HTTPException
from starlette.requests import Request

from admin.policy import hidden_columns
from models import tables as t


def _read_only(piccolo_crud: PiccoloCRUD, request: Request) -> None:
    """Writes are answered by admin/gate.py (through the services) before they get here; should
    one ever arrive, piccolo_api refuses it rather than write around the services."""
    raise HTTPException(405, "The back office writes only through the portal's services.")


def _config(table: type[Table], *, columns: list[str] | None = None,
            filters: list[str] | None = None, group: str, link: str | None = None) -> TableConfig:
    col = table._meta.get_column_by_name
    hidden = hidden_columns(table._meta.tablename)
    return TableConfig(
        table_class=table,
        visible_columns=[col(c) for c in columns if c not in hidden] if columns else None,
        visible_filters=[col(c) for c in filters if c not in hidden] if filters else None,
        menu_group=group,
        link_column=col(link) if link else None,
        validators=Validators(post_single=[_read_only], put_single=[_read_only],
                              patch_single=[_read_only], delete_single=[_read_only],
                              delete_all=[_read_only]),
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
        _config(t.SubProcessor, group="Register", link="name",
                columns=["id", "supplier", "name", "service", "location", "transfer_mechanism",
                         "since", "until", "archived_at"],
                filters=["supplier", "name", "location", "transfer_mechanism"]),
        _config(t.SubProcessorNotice, group="Assurance",
                columns=["id", "supplier", "change", "name", "location", "intended_start",
                         "objection_deadline", "status", "decision"],
                filters=["supplier", "status", "decision", "objection_deadline"]),
        _config(t.NoticeLink, group="Assurance",
                columns=["id", "supplier", "created_by", "created_at", "revoked_at"],
                filters=["supplier"]),
        _config(t.TrustedIssuer, group="Assurance", link="organisation_name",
                columns=["id", "organisation_name", "ods_code", "key_id", "fingerprint",
                         "confirmed_at", "revoked_at"],
                filters=["organisation_name", "key_id"]),
        _config(t.ReusedAssessment, group="Questionnaires",
                columns=["id", "supplier", "issuer_name", "definition", "accepted_at",
                         "expires_on", "imported_at"],
                filters=["supplier", "issuer_name", "expires_on"]),
        _config(t.Attestation, group="Assurance",
                columns=["id", "toolkit_year", "statement_id", "value", "attested_by",
                         "attested_at"],
                filters=["toolkit_year", "statement_id"]),
        _config(t.Campaign, group="Questionnaires", link="name",
                columns=["id", "name", "definition_key", "due_date", "status", "created_by",
                         "created_at"],
                filters=["status", "definition_key"]),
        _config(t.CampaignMember, group="Questionnaires",
                columns=["id", "campaign", "supplier", "assessment", "status", "reason"],
                filters=["campaign", "supplier", "status"]),
        _config(t.PackApproval, group="Assurance",
                columns=["id", "toolkit", "version", "as_at", "role", "approver_name",
                         "approved_at"],
                filters=["toolkit", "role"]),
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
        _config(BaseUser, group="Settings", link="username",
                columns=["id", "username", "email", "active", "last_login"],
                filters=["username", "email", "active"]),
        _config(t.AuditEvent, group="Settings",
                columns=["id", "occurred_at", "actor", "action", "target_type", "target_id"],
                filters=["actor", "action", "target_type", "target_id", "supplier_id",
                         "occurred_at"]),
    ]


def build_admin(*, production: bool, allowed_hosts: list[str], site_name: str,
                session_hours: int):
    lifetime = dt.timedelta(hours=session_hours)
    return create_admin(
        tables=table_configs(),
        auth_table=BaseUser,
        session_table=SessionsBase,
        production=production,
        allowed_hosts=allowed_hosts,
        site_name=site_name,
        page_size=25,
        # Sessions are made at /staff/login; here they don't live longer than there.
        session_expiry=lifetime, max_session_expiry=lifetime, increase_expiry=None,
        sidebar_links={"Staff workspace": "/staff/", "API documentation": "/schema"},
    )


def back_office(admin_app):
    """piccolo-admin behind the gate (admin/gate.py) and our error handling."""
    from admin.gate import gate

    async def with_clear_errors(scope, receive, send) -> None:
        await _with_clear_errors(admin_app, scope, receive, send)

    return gate(with_clear_errors)


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
