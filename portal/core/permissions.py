"""Who may do what: the permission matrix, in one place (plain Python, no framework).

Routes declare one permission each; the API guard and the admin validators both ask
``allowed(role, permission)``. The README's table is generated from ``MATRIX``.
"""

from __future__ import annotations

ROLES: tuple[str, ...] = ("admin", "procurement", "reviewer", "auditor")

READ = "read"  # every staff role, auditors included

# Roles that must pass a second factor (an authenticator code) to use a back-office session.
MFA_ROLES: frozenset[str] = frozenset({"admin", "reviewer"})

MATRIX: dict[str, frozenset[str]] = {
    READ: frozenset(ROLES),
    "register.write": frozenset({"admin", "procurement"}),  # suppliers, contacts, contracts
    "assessments.send": frozenset({"admin", "procurement"}),  # send, chase, revoke, reissue
    "assessments.review": frozenset({"admin", "reviewer"}),
    "certifications.write": frozenset({"admin", "reviewer"}),
    "clauses.write": frozenset({"admin", "reviewer"}),
    "risks.write": frozenset({"admin", "reviewer"}),
    "imports.run": frozenset({"admin", "procurement", "reviewer"}),
    "organisation.write": frozenset({"admin"}),
    "attestations.write": frozenset({"admin", "reviewer"}),  # the IG lead reviews
    # the IG lead and the SIRO sign the evidence pack (each a reviewer or an admin here)
    "pack.approve": frozenset({"admin", "reviewer"}),
    "staff.manage": frozenset({"admin"}),
    "outbox.read": frozenset({"admin"}),
}

DESCRIPTIONS: dict[str, str] = {
    READ: "read every record, score and report",
    "register.write": "create and edit suppliers, contacts, products and contracts; archive them",
    "assessments.send": "send, chase, revoke and reissue questionnaires",
    "assessments.review": "review answers and decide assessments",
    "certifications.write": "record and verify certifications",
    "clauses.write": "scan contracts and set clause status",
    "risks.write": "log and manage risks, disputes and incidents",
    "imports.run": "import the DSPT register and supplier spreadsheets",
    "organisation.write": "edit the organisation profile (its DSPT category included)",
    "attestations.write": "attest the CAF statements the records can't show (the IG lead)",
    "pack.approve": "record the IG lead's or SIRO's approval of the DSPT evidence pack",
    "staff.manage": "manage staff users and API tokens",
    "outbox.read": "see the outbox: recipients, subjects and delivery (never the bodies)",
}


def needs_mfa(role: str | None) -> bool:
    return role in MFA_ROLES


def is_role(value: str) -> bool:
    return value in ROLES


def allowed(role: str | None, permission: str) -> bool:
    if role is None:
        return False
    if permission not in MATRIX:
        raise KeyError(f"unknown permission {permission!r}")
    return role in MATRIX[permission]


def is_read_only(role: str | None) -> bool:
    """A role that may change nothing at all."""
    return role is not None and not any(
        role in roles for perm, roles in MATRIX.items() if perm != READ
    )


def markdown_table() -> str:
    header = "| permission | what it allows | " + " | ".join(ROLES) + " |"
    rule = "|---|---|" + "---|" * len(ROLES)
    rows = [
        f"| `{perm}` | {DESCRIPTIONS[perm]} | "
        + " | ".join("yes" if role in roles else "-" for role in ROLES)
        + " |"
        for perm, roles in MATRIX.items()
    ]
    return "\n".join([header, rule, *rows])
