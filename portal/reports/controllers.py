"""Report downloads: the DSPT evidence pack, a supplier's report, the register CSV."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get, post
from litestar.params import Parameter

from portal.core.downloads import content_disposition
from portal.core.permissions import READ
from portal.core.schemas import MAX_ID
from portal.reports import approvals, service, snapshot
from portal.reports.schemas import ApprovalBlock, ApprovalCreate, ApprovalOut

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _download(filename: str, data: bytes | str, media_type: str) -> Response[bytes]:
    return Response(content=data, media_type=media_type,
                    headers={"Content-Disposition": content_disposition(filename)})


@get("/api/v1/reports/dspt-evidence.docx", opt={"permission": READ}, tags=["Reports"],
     media_type=DOCX, summary="DSPT standard 10 evidence pack (Word)")
async def dspt_evidence(toolkit: Annotated[str, Parameter(pattern=r"^\d{4}-\d{2}$",
                                                          description="e.g. 2025-26")] = "2025-26",
                        as_at: Annotated[str | None, Parameter(
                            max_length=20, description="YYYY-MM-DD: the pack as the records "
                            "stood at the end of that day (UK time), e.g. the 30 June deadline"
                        )] = None) -> Response[bytes]:
    filename, data = await service.evidence_pack(toolkit=toolkit, as_at=as_at)
    return _download(filename, data, DOCX)


@get("/api/v1/suppliers/{supplier_id:int}/report.docx", opt={"permission": READ},
     tags=["Reports"], media_type=DOCX, summary="One supplier's assurance report (Word)")
async def supplier_report(supplier_id: Annotated[int, Parameter(gt=0, le=MAX_ID)]) -> Response[bytes]:
    filename, data = await service.supplier_report(supplier_id)
    return _download(filename, data, DOCX)


@get("/api/v1/reports/register.csv", opt={"permission": READ}, tags=["Reports"],
     media_type="text/csv", summary="The supplier register (CSV)")
async def register_csv() -> Response[bytes]:
    return _download("supplier-register.csv", await service.register_csv(), "text/csv")


@post("/api/v1/reports/dspt-evidence/approvals", opt={"permission": "pack.approve"},
      tags=["Reports"], summary="Approve the DSPT evidence pack as it stands (IG lead or SIRO)")
async def approve_pack(data: ApprovalCreate) -> ApprovalOut:
    row = await approvals.approve(toolkit=data.toolkit, as_at=await snapshot.as_at_date(data.as_at),
                                  role=data.role, approver_name=data.approver_name)
    return ApprovalOut.model_validate(row)


@get("/api/v1/reports/dspt-evidence/approvals", opt={"permission": READ}, tags=["Reports"],
     summary="The pack's current version and who approved it")
async def pack_approvals(toolkit: Annotated[str, Parameter(pattern=r"^\d{4}-\d{2}$",
                                                           description="e.g. 2026-27")] = "2025-26",
                         as_at: Annotated[str | None, Parameter(max_length=20)] = None
                         ) -> ApprovalBlock:
    return ApprovalBlock.model_validate(await approvals.approval_block(
        toolkit=toolkit, as_at=await snapshot.as_at_date(as_at)))
