"""Certification API: record what a supplier holds (validity rules arrive with the scoring work)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter

from portal.certifications import service
from portal.certifications.schemas import (
    CertificationCreate,
    CertificationOut,
    CertificationPatch,
    CertificationVerify,
    ExpiringCertificationOut,
)
from portal.core.context import current_actor
from portal.core.permissions import READ
from portal.core.schemas import MAX_ID, Page
from portal.suppliers.controllers import IncludeArchived, Limit, Offset

CertificationId = Annotated[int, Parameter(gt=0, le=MAX_ID, description="Certification id")]
WRITE = {"permission": "certifications.write"}


def certification_out(row: dict[str, Any]) -> CertificationOut:
    return CertificationOut.model_validate({**row, "supplier_id": row["supplier"]})


class CertificationController(Controller):
    path = "/api/v1/certifications"
    tags = ["Certifications"]

    @post("/", opt=WRITE, summary="Record a certification a supplier holds")
    async def create(self, data: CertificationCreate) -> CertificationOut:
        return certification_out(await service.create_certification(data))

    @get("/", opt={"permission": READ}, summary="List certifications, optionally for one supplier")
    async def index(self, supplier_id: Annotated[int | None, Parameter(gt=0, le=MAX_ID)] = None,
                   limit: Limit = 50, offset: Offset = 0,
                   include_archived: IncludeArchived = False) -> Page[CertificationOut]:
        rows, total = await service.list_certifications(supplier_id=supplier_id, limit=limit,
                                                        offset=offset,
                                                        include_archived=include_archived)
        return Page[CertificationOut](items=[certification_out(r) for r in rows], total=total,
                                      limit=limit, offset=offset)

    @get("/expiring", opt={"permission": READ},
         summary="Current certifications that expire within 30, 60 or 90 days")
    async def expiring(self, days: Annotated[int, Parameter(ge=1, le=366)] = 90
                       ) -> list[ExpiringCertificationOut]:
        return [ExpiringCertificationOut(**certification_out(r).model_dump(),
                                         days_left=r["days_left"])
                for r in await service.expiring(days=days)]

    @get("/{certification_id:int}", opt={"permission": READ}, summary="Get a certification")
    async def show(self, certification_id: CertificationId) -> CertificationOut:
        return certification_out(await service.get_certification(certification_id))

    @patch("/{certification_id:int}", opt=WRITE, summary="Change a certification")
    async def update(self, certification_id: CertificationId,
                     data: CertificationPatch) -> CertificationOut:
        return certification_out(await service.update_certification(certification_id, data))

    @post("/{certification_id:int}/verify", opt=WRITE, status_code=200,
          summary="Record that a reviewer checked the certificate, clearing flags with why")
    async def verify(self, certification_id: CertificationId,
                     data: CertificationVerify) -> CertificationOut:
        return certification_out(await service.verify_certification(
            certification_id, data, actor=current_actor().name))

    @delete("/{certification_id:int}", opt=WRITE, status_code=200,
            summary="Archive a certification")
    async def archive(self, certification_id: CertificationId) -> CertificationOut:
        return certification_out(await service.archive_certification(certification_id))
