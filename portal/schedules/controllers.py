"""The generated schedule as a Word download."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Response, get
from litestar.params import Parameter

from portal.contracts.controllers import ContractId
from portal.contracts.service import DOCX
from portal.core.downloads import content_disposition
from portal.core.permissions import READ
from portal.schedules import service


class ScheduleController(Controller):
    path = "/api/v1/contracts/{contract_id:int}"
    tags = ["Contracts"]

    @get("/schedule.docx", opt={"permission": READ}, media_type=DOCX,
         summary="Draft data protection schedule for the contract (Word), by its data role",
         description="Article 28 terms for a processor, a data sharing agreement outline for "
                     "controller-to-controller sharing, an Article 26 arrangement outline for "
                     "joint controllers; annexes from the records. 422 when the contract has "
                     "no personal data or its processing particulars are empty.")
    async def schedule(self, contract_id: ContractId, wording: Annotated[
            Literal["portal", "national"] | None, Parameter(
                description="Base text: the portal's model clauses, or the national wording "
                            "(Crown Commercial Service model clauses, PPN 03/17 lineage); "
                            "absent: the one the organisation chose in its settings")
            ] = None) -> Response[bytes]:
        name, data = await service.build(contract_id, wording=wording)
        return Response(content=data, media_type=DOCX,
                        headers={"Content-Disposition": content_disposition(name)})
