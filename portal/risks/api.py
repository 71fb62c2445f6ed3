"""Risks, disputes and incidents involving a supplier (standard 10's disputes item)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.params import Parameter
from pydantic import Field

from models.tables import Risk
from portal.core import records
from portal.core.db import write_transaction
from portal.core.permissions import READ
from portal.core.schemas import (
    MAX_ID,
    Id,
    InputModel,
    LongText,
    Name,
    OutputModel,
    PatchModel,
    ReasonableDate,
    ShortText,
)
from portal.suppliers.service import get_active_supplier, get_supplier


class Kind(StrEnum):
    risk = "risk"
    dispute = "dispute"
    incident = "incident"


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class RiskStatus(StrEnum):
    open = "open"
    closed = "closed"


class RiskCreate(InputModel):
    supplier_id: Id
    kind: Kind
    title: Name
    description: LongText = ""
    severity: Severity = Severity.medium
    data_security_risk: LongText = Field("", description="The data-security risk it poses")
    owner: ShortText = ""
    mitigation: LongText = ""
    opened_on: ReasonableDate | None = None


class RiskPatch(PatchModel):
    title: Name = None  # type: ignore[assignment]
    description: LongText = None  # type: ignore[assignment]
    severity: Severity = None  # type: ignore[assignment]
    data_security_risk: LongText = None  # type: ignore[assignment]
    owner: ShortText = None  # type: ignore[assignment]
    mitigation: LongText = None  # type: ignore[assignment]
    status: RiskStatus = None  # type: ignore[assignment]
    closed_on: ReasonableDate | None = None


class RiskOut(OutputModel):
    id: int
    supplier_id: int
    kind: str
    title: str
    description: str
    severity: str
    data_security_risk: str
    owner: str
    mitigation: str
    status: str
    opened_on: dt.date | None
    closed_on: dt.date | None
    version: int


async def log_risk(data: RiskCreate) -> dict[str, Any]:
    """Record a risk, dispute or incident against a current supplier (API and workspace)."""
    values = {**data.model_dump(exclude={"supplier_id"}), "supplier": data.supplier_id,
              "opened_on": data.opened_on or dt.date.today()}
    values = {k: v.value if isinstance(v, StrEnum) else v for k, v in values.items()}
    async with write_transaction():
        await get_active_supplier(data.supplier_id)
        return await records.create_row(Risk, values, action=f"{data.kind.value}.logged")


async def update_risk(risk_id: int, data: RiskPatch) -> dict[str, Any]:
    """Change a risk or dispute (API and back office); closing it dates the closure."""
    changes = {k: v.value if isinstance(v, StrEnum) else v for k, v in data.changes().items()}
    if changes.get("status") == "closed" and "closed_on" not in changes:
        changes["closed_on"] = dt.date.today()
    return await records.update_row(Risk, risk_id, changes, what="risk", action="risk.updated",
                                    expected_version=data.version)


def risk_out(row: dict[str, Any]) -> RiskOut:
    return RiskOut.model_validate({**row, "supplier_id": row["supplier"]})


class RiskController(Controller):
    path = "/api/v1/risks"
    tags = ["Risks and disputes"]

    @post("/", opt={"permission": "risks.write"}, summary="Log a risk, dispute or incident")
    async def create(self, data: RiskCreate) -> RiskOut:
        return risk_out(await log_risk(data))

    @get("/", opt={"permission": READ}, summary="Risks and disputes, optionally for one supplier")
    async def index(self, supplier_id: Annotated[int | None, Parameter(gt=0, le=MAX_ID)] = None,
                    status: Annotated[str | None, Parameter(pattern=r"^(open|closed)$")] = None
                    ) -> list[RiskOut]:
        query = Risk.select().order_by(Risk.id)
        if supplier_id is not None:
            await get_supplier(supplier_id)
            query = query.where(Risk.supplier == supplier_id)
        if status:
            query = query.where(Risk.status == status)
        return [risk_out(r) for r in await query.limit(1000)]

    @patch("/{risk_id:int}", opt={"permission": "risks.write"}, summary="Update a risk or dispute")
    async def update(self, risk_id: Annotated[int, Parameter(gt=0, le=MAX_ID)],
                     data: RiskPatch) -> RiskOut:
        return risk_out(await update_risk(risk_id, data))
