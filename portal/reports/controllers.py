"""Report downloads: the DSPT evidence pack, a supplier's report, the register CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Response, get, post
from litestar.params import Parameter
from litestar.response import Stream

from portal.core.downloads import content_disposition
from portal.core.permissions import READ
from portal.core.schemas import MAX_ID
from portal.reports import approvals, attestations, evidence, service, snapshot
from portal.reports.attestations import AttestationCreate, AttestationOut, attestation_out
from portal.reports.schemas import ApprovalBlock, ApprovalCreate, ApprovalOut

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _download(filename: str, data: bytes | str, media_type: str) -> Response[bytes]:
    return Response(content=data, media_type=media_type,
                    headers={"Content-Disposition": content_disposition(filename)})


@get("/api/v1/reports/dspt-evidence.docx", opt={"permission": READ}, tags=["Reports"],
     media_type=DOCX, summary="DSPT standard 10 evidence pack (Word)")
async def dspt_evidence(
        toolkit: Annotated[str, Parameter(pattern=r"^\d{4}-\d{2}$",
                                          description="Toolkit year, e.g. 2026-27")] = "2026-27",
        annex: Annotated[Literal["ndg", "caf"] | None, Parameter(
            description="Add the other view as an annex labelled as such: ndg (standard 10 "
                        "items) or caf (CAF A4.a)")] = None,
        as_at: Annotated[str | None, Parameter(
            max_length=20, description="YYYY-MM-DD: the pack as the records stood at the end of "
                                       "that day (UK time), e.g. the 30 June deadline")] = None,
) -> Response[bytes]:
    filename, data = await evidence.evidence_pack(toolkit=toolkit, annex=annex, as_at=as_at)
    return _download(filename, data, DOCX)


@get("/api/v1/suppliers/{supplier_id:int}/report.docx", opt={"permission": READ},
     tags=["Reports"], media_type=DOCX, summary="One supplier's assurance report (Word)")
async def supplier_report(supplier_id: Annotated[int, Parameter(gt=0, le=MAX_ID)]) -> Response[bytes]:
    filename, data = await service.supplier_report(supplier_id)
    return _download(filename, data, DOCX)


@get("/api/v1/reports/register.csv", opt={"permission": READ}, tags=["Reports"],
     media_type="text/csv", summary="The supplier register (CSV)")
async def register_csv() -> Stream:
    return Stream(service.register_csv_stream(), media_type="text/csv",
                  headers={"Content-Disposition": content_disposition("supplier-register.csv")})


class AttestationController(Controller):
    path = "/api/v1/attestations"
    tags = ["Reports"]

    @get("/", opt={"permission": READ}, summary="The IG lead's attestations of CAF statements "
                                                "for a toolkit year, latest first")
    async def list(self, toolkit: Annotated[str, Parameter(
            pattern=attestations.YEAR_PATTERN, description="Toolkit year, e.g. 2026-27")]
                   ) -> list[AttestationOut]:
        return [attestation_out(r) for r in await attestations.history(toolkit)]

    @post("/", opt={"permission": "attestations.write"},
          summary="Attest a CAF statement the records can't show (audited; the latest counts)")
    async def create(self, data: AttestationCreate) -> AttestationOut:
        return attestation_out(await attestations.attest(data))


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
