"""What each role may read in the back office, and which columns nobody reads there.

Plain Python (no framework): the gate (admin/gate.py) applies it to every answer of the
back office's API - table lists, rows, a row, its schema, ids - not only to what the
screens show.
"""

from __future__ import annotations

from portal.core.permissions import ROLES

# The register, assurance, questionnaires and the audit trail: every staff role reads them.
SHARED_TABLES: frozenset[str] = frozenset({
    "organisation", "supplier", "supplier_contact", "contract", "product_service",
    "certification", "contract_clause", "clause_definition", "risk", "supplier_score",
    "assessment", "answer", "answer_review", "questionnaire_definition", "evidence_file",
    "contract_document", "dspt_register_entry", "audit_event", "sub_processor",
    "attestation",
    "pack_approval",
    "campaign", "campaign_member",
    "trusted_issuer", "reused_assessment", "notice_link", "sub_processor_notice",
})

READABLE: dict[str, frozenset[str]] = {
    # Staff accounts and API tokens are the administrators' business.
    "admin": SHARED_TABLES | {"outbound_email", "staff_member", "api_token", "piccolo_user"},
    # Those who send and review questionnaires see what the outbox did (never the bodies).
    "procurement": SHARED_TABLES | {"outbound_email"},
    "reviewer": SHARED_TABLES | {"outbound_email"},
    # The auditor reads the register and the audit trail; not the outbox, tokens or staff.
    "auditor": SHARED_TABLES,
}
assert set(READABLE) == set(ROLES), "every role needs a back-office read rule"

# Columns nobody reads (or filters or orders by) in the back office, whatever their role.
HIDDEN_COLUMNS: dict[str, frozenset[str]] = {
    "staff_member": frozenset({"totp_secret", "totp_pending", "totp_last_step"}),
    "api_token": frozenset({"token_hash"}),
    "piccolo_user": frozenset({"password"}),
    "assessment": frozenset({"link_hash", "link_nonce"}),
    "notice_link": frozenset({"link_hash", "link_nonce"}),
    # Mail bodies carried supplier links; whatever they hold now, they stay out of reach.
    "outbound_email": frozenset({"body"}),
}


# Tables whose id-to-name list (`/api/tables/<table>/ids/`, what a form's dropdown shows for
# a foreign key) every staff role reads, without reading the table itself: a supplier's owner
# and an assessment's reviewer are staff accounts, shown by username.
NAMES_READABLE: frozenset[str] = frozenset({"piccolo_user"})


def may_read(role: str | None, table: str, rest: str = "") -> bool:
    if role in READABLE and table in NAMES_READABLE and rest.split("?")[0] in ("ids/", "ids"):
        return True
    return role in READABLE and table in READABLE[role]


def readable_tables(role: str | None) -> frozenset[str]:
    return READABLE.get(role or "", frozenset())


def hidden_columns(table: str) -> frozenset[str]:
    return HIDDEN_COLUMNS.get(table, frozenset())


def is_hidden(table: str, field: str) -> bool:
    """A field named in a query: `body`, `body__operator`, `-body` or a join `user.password`."""
    name = field.lstrip("-").strip()
    if "." in name:
        return True  # joins reach other tables' columns: the back office asks for none
    for suffix in ("__operator", "__match"):
        name = name.removesuffix(suffix)
    hidden = hidden_columns(table)
    return name in hidden or name.removesuffix("_readable") in hidden
