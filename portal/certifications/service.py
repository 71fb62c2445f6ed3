"""Recording certifications; the validity rules themselves live in certifications/rules.py."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from models.tables import Certification, Supplier
from portal.certifications.rules import (
    derived_expiry,
    expiring_within,
    higher_verification,
    load_schemes,
    validity,
)
from portal.certifications.schemas import (
    CertificationCreate,
    CertificationPatch,
    CertificationVerify,
)
from portal.core import records
from portal.core.dates import add_months
from portal.core.db import id_in, write_transaction
from portal.core.errors import InvalidInput
from portal.core.security import now
from portal.suppliers.service import get_active_supplier, get_supplier


async def with_validity(rows: list[dict[str, Any]], *, today: dt.date | None = None
                        ) -> list[dict[str, Any]]:
    """Add current / satisfies / reason / flags and the effective expiry to each row."""
    today = today or dt.date.today()
    supplier_ids = list({r["supplier"] for r in rows})
    names = {}
    if supplier_ids:
        names = {s["id"]: s["legal_name"] or s["name"] for s in await Supplier.select(
            Supplier.id, Supplier.name, Supplier.legal_name).where(id_in(Supplier.id, supplier_ids))}
    basic_ce: dict[int, tuple] = {}
    plus_suppliers = list({r["supplier"] for r in rows if r["scheme"] == "cyber_essentials_plus"})
    if plus_suppliers:  # a CE+ is checked against the basic CE before its audit
        for c in await Certification.select(Certification.supplier, Certification.issued_on).where(
                id_in(Certification.supplier, plus_suppliers)
                & (Certification.scheme == "cyber_essentials")
                & Certification.archived_at.is_null() & Certification.issued_on.is_not_null()):
            basic_ce[c["supplier"]] = basic_ce.get(c["supplier"], ()) + (c["issued_on"],)
    out = []
    for row in rows:
        cleared = _loads(row.get("flags_cleared"))
        v = validity(scheme=row["scheme"], today=today, status=row["status"],
                     issued_on=row["issued_on"], expires_on=row["expires_on"],
                     edition=row["edition"], legal_entity=row["legal_entity"],
                     supplier_legal_name=names.get(row["supplier"], ""), scope=row["scope"],
                     accreditation_body=row["accreditation_body"], audited_on=row["audited_on"],
                     basic_ce_issued=basic_ce.get(row["supplier"], ()),
                     cleared=tuple(c["flag"] for c in cleared))
        out.append({**row, "expires_on": v.expires_on, "current": v.current,
                    "satisfies": v.satisfies, "reason": v.reason, "flags": list(v.flags),
                    "flag_codes": list(v.flag_codes), "dspt_level": v.level,
                    "flags_cleared": cleared})
    return out


def _loads(value) -> list[dict]:
    if not value or value == "[]":  # nearly every certificate: nothing cleared
        return []
    items = json.loads(value) if isinstance(value, str) else value
    return [i for i in (items or []) if isinstance(i, dict)]


# A change to what the certificate says undoes a reviewer's check of it.
_SUBSTANTIVE = {"status", "certificate_number", "edition", "certification_body",
                "accreditation_body", "legal_entity", "scope", "issued_on", "expires_on",
                "audited_on", "ods_code", "scheme_name"}


async def verify_certification(certification_id: int, data: CertificationVerify, *,
                               actor: str) -> dict[str, Any]:
    """A reviewer checked the certificate (e.g. on IASME or UKAS CertCheck): it becomes
    `reviewer_checked` (a register match stays `register_verified`), and the flags named are
    cleared with who, when and why. Audited as certification.verified."""
    async with write_transaction():
        current = await get_certification(certification_id)
        if current["archived_at"] is not None:
            raise InvalidInput("This certification is archived; restore it before verifying it.")
        open_codes = set(current["flag_codes"])
        unknown = [f.value for f in data.clear_flags if f.value not in open_codes]
        if unknown:
            raise InvalidInput(f"This certification has no open flag {', '.join(unknown)} "
                               f"(open: {', '.join(sorted(open_codes)) or 'none'}).")
        stamp = now()
        cleared = current["flags_cleared"] + [
            {"flag": f.value, "by": actor, "at": stamp.isoformat(), "note": data.note}
            for f in data.clear_flags]
        updated = await records.update_row(
            Certification, certification_id,
            {"verification": higher_verification(current["verification"], "reviewer_checked"),
             "verified_by": actor, "verified_at": stamp, "verification_checked": data.checked,
             "flags_cleared": json.dumps(cleared)},
            what="certification", action="certification.verified",
            expected_version=data.version)
        return (await with_validity([updated]))[0]


async def _may_expire_within(days: int, today: dt.date):
    """A condition matching every certificate whose effective expiry can fall in the next
    `days` days (and a few more): the rules then decide on these rows only, so the dashboard
    and the expiring list don't judge the whole portfolio's certificates every time."""
    last = today + dt.timedelta(days=days)
    schemes = load_schemes()
    dspt_statuses = [r["status"] for r in await Certification.select(Certification.status)
                     .where((Certification.scheme == "dspt") & Certification.archived_at.is_null())
                     .distinct()]
    dspt_due = [s for s in dspt_statuses if (until := derived_expiry("dspt", None, None, s))
                and today <= until <= last]
    months = schemes["cyber_essentials"]["valid_months"]
    slack = dt.timedelta(days=5)  # month lengths: add_months(issued, 12) - 1 day
    condition = (Certification.scheme != "dspt") & (Certification.expires_on >= today) \
        & (Certification.expires_on <= last)
    condition |= Certification.scheme.is_in(["cyber_essentials", "cyber_essentials_plus"]) \
        & Certification.expires_on.is_null() \
        & (Certification.issued_on >= add_months(today, -months) - slack) \
        & (Certification.issued_on <= add_months(last, -months) + slack)
    if dspt_due:
        condition |= (Certification.scheme == "dspt") & Certification.status.is_in(dspt_due)
    if today <= schemes["iso27001"]["edition_2013_last_valid"] <= last:
        condition |= Certification.scheme == "iso27001"  # 2013 editions end on that day
    return Certification.archived_at.is_null() & condition


# What the validity rules read: enough for a count and a line per certificate.
VALIDITY_COLUMNS = (Certification.id, Certification.supplier, Certification.scheme,
                    Certification.scheme_name, Certification.status, Certification.issued_on,
                    Certification.expires_on, Certification.edition, Certification.legal_entity,
                    Certification.scope, Certification.accreditation_body,
                    Certification.audited_on, Certification.flags_cleared)


async def expiring(*, days: int, today: dt.date | None = None, brief: bool = False
                   ) -> list[dict[str, Any]]:
    """Current certificates whose effective expiry falls in the next `days` days, soonest
    first; `brief` reads only what the validity rules need (the dashboard's count)."""
    today = today or dt.date.today()
    rows = await with_validity(await Certification.select(*(VALIDITY_COLUMNS if brief else ())).where(
        await _may_expire_within(days, today)), today=today)
    soon = {e.id: e for e in expiring_within(
        [(r["id"], r["expires_on"]) for r in rows if r["current"]], today=today, days=days)}
    return sorted(({**r, "days_left": soon[r["id"]].days_left} for r in rows if r["id"] in soon),
                  key=lambda r: r["expires_on"])


async def list_certifications(*, supplier_id: int | None, limit: int, offset: int,
                              include_archived: bool = False) -> tuple[list[dict[str, Any]], int]:
    query, count = Certification.select(), Certification.count()
    conditions = []
    if supplier_id is not None:
        await get_supplier(supplier_id)
        conditions.append(Certification.supplier == supplier_id)
    if not include_archived:
        conditions.append(Certification.archived_at.is_null())
    for condition in conditions:
        query, count = query.where(condition), count.where(condition)
    rows = await query.order_by(Certification.expires_on).order_by(Certification.id) \
        .limit(limit).offset(offset)
    return await with_validity(rows), await count


async def get_certification(certification_id: int) -> dict[str, Any]:
    row = await records.get_row(Certification, certification_id, what="certification")
    return (await with_validity([row]))[0]


async def create_certification(data: CertificationCreate) -> dict[str, Any]:
    values = data.model_dump(exclude={"supplier_id"})
    values["scheme"] = data.scheme.value
    values["flags_cleared"] = "[]"
    async with write_transaction():
        await get_active_supplier(data.supplier_id)
        created = await records.create_row(
            Certification, {**values, "supplier": data.supplier_id,
                            "verification": "self_declared"},
            action="certification.created")
        return (await with_validity([created]))[0]


async def update_certification(certification_id: int, patch: CertificationPatch) -> dict[str, Any]:
    changes = patch.changes()
    async with write_transaction():
        current = await records.get_row(Certification, certification_id, what="certification")
        issued = changes.get("issued_on", current["issued_on"])
        expires = changes.get("expires_on", current["expires_on"])
        if issued and expires and expires < issued:
            raise InvalidInput("expires_on must be on or after issued_on")
        if current["scheme"] == "other" and not changes.get("scheme_name",
                                                            current["scheme_name"]):
            raise InvalidInput("a certificate under scheme 'other' needs its scheme_name")
        if any(k in _SUBSTANTIVE and changes[k] != current[k] for k in changes) \
                and current["verification"] in ("reviewer_checked", "evidence_uploaded"):
            # what was checked no longer matches what is recorded
            changes = {**changes, "verification": "self_declared", "verified_by": "",
                       "verified_at": None, "verification_checked": "", "flags_cleared": "[]"}
        updated = await records.update_row(Certification, certification_id, changes,
                                           what="certification", action="certification.updated",
                                           expected_version=patch.version)
        return (await with_validity([updated]))[0]


async def archive_certification(certification_id: int) -> dict[str, Any]:
    archived = await records.archive_row(Certification, certification_id, what="certification",
                                         action="certification.archived")
    return (await with_validity([archived]))[0]
