"""Recording certifications; the validity rules themselves live in certifications/rules.py."""

from __future__ import annotations

from typing import Any

from models.tables import Certification
from portal.certifications.schemas import CertificationCreate, CertificationPatch
from portal.core import records
from portal.core.db import write_transaction
from portal.core.errors import InvalidInput
from portal.suppliers.service import get_active_supplier, get_supplier


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
    return rows, await count


async def get_certification(certification_id: int) -> dict[str, Any]:
    return await records.get_row(Certification, certification_id, what="certification")


async def create_certification(data: CertificationCreate) -> dict[str, Any]:
    values = data.model_dump(exclude={"supplier_id"})
    values["scheme"] = data.scheme.value
    async with write_transaction():
        await get_active_supplier(data.supplier_id)
        return await records.create_row(
            Certification, {**values, "supplier": data.supplier_id,
                            "verification": "self_declared"},
            action="certification.created")


async def update_certification(certification_id: int, patch: CertificationPatch) -> dict[str, Any]:
    changes = patch.changes()
    async with write_transaction():
        current = await get_certification(certification_id)
        issued = changes.get("issued_on", current["issued_on"])
        expires = changes.get("expires_on", current["expires_on"])
        if issued and expires and expires < issued:
            raise InvalidInput("expires_on must be on or after issued_on")
        return await records.update_row(Certification, certification_id, changes,
                                        what="certification", action="certification.updated",
                                        expected_version=patch.version)


async def archive_certification(certification_id: int) -> dict[str, Any]:
    return await records.archive_row(Certification, certification_id, what="certification",
                                     action="certification.archived")
