"""Contract documents, clause checklist and manual overrides (the schedule: portal.schedules)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post, put
from litestar.params import Parameter
from pydantic import Field, StringConstraints

from portal.contracts import service
from portal.contracts.schemas import ChecklistOut, ClauseOut, ScannedDocumentOut
from portal.core.context import current_actor
from portal.core.errors import InvalidInput
from portal.core.permissions import READ
from portal.core.schemas import MAX_ID, InputModel, line_type, text_type

ContractId = Annotated[int, Parameter(gt=0, le=MAX_ID, description="Contract id")]
ClauseKey = Annotated[str, Parameter(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$", max_length=60)]
WRITE = {"permission": "clauses.write"}


class ClauseIn(InputModel):
    status: Annotated[str, StringConstraints(pattern=r"^(present|partial|missing|not_applicable)$")]
    location: line_type(200) | None = None
    note: text_type(5000) | None = None
    version: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    hours: Annotated[int, Field(ge=0, le=8760)] | None = Field(
        None, description="breach.notification only: the window in hours a reviewer read "
                          "(0 = 'immediately')")
    immediately: bool = Field(False, description="breach.notification only: the contract says "
                                                 "'immediately' (same as hours 0)")


class ContractClauseController(Controller):
    path = "/api/v1/contracts/{contract_id:int}"
    tags = ["Contracts"]

    @post("/documents", opt=WRITE, summary="Upload the contract (.docx or PDF); it is scanned for clauses")
    async def upload(self, request: Request, contract_id: ContractId) -> ScannedDocumentOut:
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("Attach the contract (a Word document or a PDF) in the field 'file'.")
        return ScannedDocumentOut(**await service.upload_document(
            contract_id, filename=upload.filename, data=await upload.read(),
            actor=current_actor().name))

    @get("/clauses", opt={"permission": READ}, summary="The clause checklist for a contract")
    async def clauses(self, contract_id: ContractId) -> ChecklistOut:
        return ChecklistOut(**await service.checklist(contract_id))

    @put("/clauses/{key:str}", opt=WRITE, summary="Set one clause's status by hand")
    async def set_clause(self, contract_id: ContractId, key: ClauseKey,
                         data: ClauseIn) -> ClauseOut:
        hours = 0 if data.immediately else data.hours
        return ClauseOut(**await service.set_clause(
            contract_id, key, status=data.status, location=data.location, note=data.note,
            version=data.version, actor=current_actor().name, hours=hours))
