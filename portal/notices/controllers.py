"""Sub-processor notice API (staff)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import Parameter

from portal.core.context import current_actor
from portal.core.permissions import READ
from portal.core.schemas import MAX_ID
from portal.notices import service
from portal.notices.schemas import DecisionIn, NoticeIn, NoticeLinkOut, NoticeOut

Id = Annotated[int, Parameter(gt=0, le=MAX_ID)]


class NoticeController(Controller):
    path = "/api/v1"
    tags = ["Sub-processor notices"]

    @get("/subprocessor-notices", opt={"permission": READ}, summary="Sub-processor change notices")
    async def index(self, open_only: Annotated[bool, Parameter(query="open")] = False,
                    supplier_id: Annotated[int | None, Parameter(gt=0, le=MAX_ID)] = None
                    ) -> list[NoticeOut]:
        return [NoticeOut.model_validate(n) for n in
                await service.list_notices(supplier_id=supplier_id, open_only=open_only)]

    @get("/subprocessor-notices/{notice_id:int}", opt={"permission": READ}, summary="A notice")
    async def show(self, notice_id: Id) -> NoticeOut:
        return NoticeOut.model_validate(await service.get_notice(notice_id))

    @post("/suppliers/{supplier_id:int}/subprocessor-notices", opt={"permission": "register.write"},
          summary="Record a notice the supplier sent by email (opens the objection window)")
    async def record(self, supplier_id: Id, data: NoticeIn) -> NoticeOut:
        await service.supplier_name(supplier_id)
        return NoticeOut.model_validate(await service.record_notice(
            supplier_id, data.model_dump(), source="staff",
            source_detail=f"recorded by {current_actor().name}: {data.source_detail}".strip(": ")))

    @post("/subprocessor-notices/{notice_id:int}/decision", opt={"permission": "assessments.review"},
          status_code=200, summary="Decide: no objection, objection (reasons) or conditions")
    async def decide(self, notice_id: Id, data: DecisionIn) -> NoticeOut:
        return NoticeOut.model_validate(await service.decide(
            notice_id, decision=data.decision, reasons=data.reasons, actor=current_actor().name,
            version=data.version))

    @post("/suppliers/{supplier_id:int}/notice-link", opt={"permission": "assessments.send"},
          summary="A new standing notice link for the supplier (the old one stops working)")
    async def issue_link(self, supplier_id: Id) -> NoticeLinkOut:
        token = await service.issue_link(supplier_id, actor=current_actor().name)
        return NoticeLinkOut(link=service.notice_url(token))

    @post("/suppliers/{supplier_id:int}/notice-link/revoke", opt={"permission": "assessments.send"},
          status_code=204, summary="Revoke the supplier's notice link")
    async def revoke_link(self, supplier_id: Id) -> None:
        await service.revoke_link(supplier_id)
