"""Risks, disputes and incidents involving a supplier (standard 10's disputes item)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from litestar import Controller, get, patch, post
from litestar.params import Parameter
from pydantic import Field

from models.tables import Risk
from portal.core import records
from portal.core.dates import add_months
from portal.core.db import write_transaction
from portal.core.errors import InvalidInput
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
from portal.core.security import now
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
    mitigated = "mitigated"  # the mitigation is in place: no longer caps the rating
    closed = "closed"


class Gate(StrEnum):
    """Gates a risk can record, so that a SIRO can accept it (scoring/policy.yaml gates)."""

    processing_without_contract = "processing_without_contract"
    processor_missing_art28 = "processor_missing_art28"
    critical_without_dspt = "critical_without_dspt"
    dspt_contradiction = "dspt_contradiction"


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
    gate: Gate | None = Field(None, description="The gate this risk records, so that a SIRO "
                                                "can accept it (POST /api/v1/risks/{id}/accept)")


class RiskAccept(InputModel):
    accepted_by: Name = Field(description="Who accepts the risk: the SIRO or their deputy")
    role: Annotated[str, Field(min_length=2, max_length=60)] = Field(
        "SIRO", description="Their role: SIRO or Deputy SIRO (scoring/policy.yaml)")
    reason: Annotated[str, Field(min_length=10, max_length=5000)] = Field(
        description="Why the risk is accepted")
    until: ReasonableDate = Field(description="The acceptance lapses by itself after this date")
    version: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None


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
    source_key: str | None = Field(None, description="knockout:<assessment>:<question> when "
                                                     "opened by a knock-out answer")
    assessment_id: int | None = None
    question_id: str = ""
    criterion: str = ""
    gate: str = ""
    accepted_by: str = ""
    accepted_role: str = ""
    accepted_reason: str = ""
    accepted_until: dt.date | None = None
    accepted_at: dt.datetime | None = None


async def log_risk(data: RiskCreate) -> dict[str, Any]:
    """Record a risk, dispute or incident against a current supplier (API and workspace)."""
    values = {**data.model_dump(exclude={"supplier_id"}), "supplier": data.supplier_id,
              "opened_on": data.opened_on or dt.date.today()}
    values = {k: v.value if isinstance(v, StrEnum) else v for k, v in values.items()}
    values["gate"] = values.get("gate") or ""
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


POLICY_FILE = Path(__file__).parent / "policy.yaml"


@lru_cache(maxsize=1)
def _acceptance_policy() -> dict[str, Any]:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))["acceptance"]




async def accept_risk(risk_id: int, data: RiskAccept, *, today: dt.date | None = None
                      ) -> dict[str, Any]:
    """A SIRO-level acceptance: who, why, until when. It turns the gate or knock-out the risk
    records into amber, and lapses by itself after its date (the nightly rescoring)."""
    today = today or dt.date.today()
    policy = _acceptance_policy()
    if data.role.strip().lower() not in {r.lower() for r in policy["roles"]}:
        raise InvalidInput("role must be one of " + ", ".join(policy["roles"])
                           + ": a risk is accepted at SIRO level.")
    if data.until < today:
        raise InvalidInput("until must be today or later.")
    if data.until > add_months(today, policy["max_months"]):
        raise InvalidInput(f"An acceptance lasts at most {policy['max_months']} months; "
                           "choose an earlier date and review it then.")
    async with write_transaction():
        current = await records.get_row(Risk, risk_id, what="risk")
        if current["status"] != "open":
            raise InvalidInput("Only an open risk can be accepted.")
        return await records.update_row(
            Risk, risk_id, {"accepted_by": data.accepted_by, "accepted_role": data.role.strip(),
                            "accepted_reason": data.reason.strip(), "accepted_until": data.until,
                            "accepted_at": now()},
            what="risk", action="risk.accepted", expected_version=data.version)


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
                    status: Annotated[str | None, Parameter(pattern=r"^(open|mitigated|closed)$")] = None
                    ) -> list[RiskOut]:
        query = Risk.select().order_by(Risk.id)
        if supplier_id is not None:
            await get_supplier(supplier_id)
            query = query.where(Risk.supplier == supplier_id)
        if status:
            query = query.where(Risk.status == status)
        return [risk_out(r) for r in await query.limit(1000)]

    @post("/{risk_id:int}/accept", opt={"permission": "risks.write"}, status_code=200,
          summary="Record a SIRO-level acceptance of a risk (who, why, until when)")
    async def accept(self, risk_id: Annotated[int, Parameter(gt=0, le=MAX_ID)],
                     data: RiskAccept) -> RiskOut:
        return risk_out(await accept_risk(risk_id, data))

    @patch("/{risk_id:int}", opt={"permission": "risks.write"}, summary="Update a risk or dispute")
    async def update(self, risk_id: Annotated[int, Parameter(gt=0, le=MAX_ID)],
                     data: RiskPatch) -> RiskOut:
        return risk_out(await update_risk(risk_id, data))
