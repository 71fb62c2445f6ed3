"""The IG lead's attestations of the CAF statements the records can't show.

Append-only: attesting again adds a row; the latest per (toolkit year, statement) is the
answer, and `as_at` reads the answer as it stood on a day. Audited in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field, field_validator

from models.tables import Attestation
from portal.core import audit, dates
from portal.core.context import current_actor
from portal.core.db import write_transaction
from portal.core.errors import InvalidInput
from portal.core.schemas import Flag, InputModel, LongText, OutputModel
from portal.reports import caf, frameworks

YEAR_PATTERN = r"^\d{4}-\d{2}$"


def attestable(outcome_id: str = "A4.a") -> list[frameworks.Statement]:
    """Statements the IG lead answers: attestation only, or attestation backed by records."""
    return [s for s in frameworks.outcome(outcome_id).statements if s.evidence in ("attestation", "both")]


class AttestationCreate(InputModel):
    toolkit_year: Annotated[str, Field(pattern=YEAR_PATTERN, description="e.g. 2026-27")]
    statement_id: Annotated[str, Field(min_length=2, max_length=10, description="e.g. NA5")]
    value: Flag = Field(description="Whether the statement is true for the organisation")
    note: LongText = Field("", description="What the attestation relies on")
    role: Annotated[str, Field(min_length=2, max_length=60)] = Field(
        "IG lead", description="The attester's role, e.g. IG lead or Deputy IG lead")
    name: Annotated[str, Field(max_length=150)] = Field(
        "", description="The person attesting, as the pack prints it (e.g. 'Priya Shah'); "
                        "required when the request comes with an API token, otherwise your "
                        "account's name. The audit event records who sent it either way.")

    @field_validator("toolkit_year")
    @classmethod
    def _known_year(cls, value: str) -> str:
        if value not in frameworks.years():
            raise ValueError(f"toolkit year must be one of {', '.join(frameworks.years())}")
        return value


class AttestationOut(OutputModel):
    id: int
    toolkit_year: str
    statement_id: str
    statement: str = Field(description="The statement's wording")
    value: bool
    note: str
    attested_by: str
    role: str
    attested_at: dt.datetime


def attestation_out(row: dict[str, Any]) -> AttestationOut:
    statement = frameworks.outcome().statement(row["statement_id"])
    return AttestationOut.model_validate({**row, "statement": statement.text})


async def attest(data: AttestationCreate) -> dict[str, Any]:
    ids = {s.id for s in attestable()}
    if data.statement_id not in ids:
        raise InvalidInput(f"{data.statement_id} is not a statement the IG lead attests; choose "
                           f"one of {', '.join(sorted(ids))} (the others come from the records).")
    actor = current_actor()
    name = " ".join(data.name.split())
    if not name and actor.kind == "token":
        raise InvalidInput("Give the name of the person attesting (name): an API token is not "
                           "a person, and the pack prints who attested.")
    values = {"toolkit_year": data.toolkit_year, "statement_id": data.statement_id,
              "value": data.value, "note": data.note, "attested_by": (name or actor.name)[:150],
              "role": data.role, "attested_at": dates.now()}
    async with write_transaction():
        row = Attestation(**values)
        await row.save()
        saved = await Attestation.select().where(Attestation.id == row.id).first()
        await audit.record("attestation.recorded", target_type="attestation", target_id=row.id,
                           after=saved)
    return saved


async def history(toolkit_year: str) -> list[dict[str, Any]]:
    return await Attestation.select().where(Attestation.toolkit_year == toolkit_year) \
        .order_by(Attestation.id, ascending=False)


async def current(toolkit_year: str, *, as_at: dt.date | None = None) -> dict[str, dict[str, Any]]:
    """The latest attestation per statement (as it stood at the end of `as_at` when given)."""
    rows = await Attestation.select().where(Attestation.toolkit_year == toolkit_year) \
        .order_by(Attestation.id)
    if as_at is not None:  # the end of that day in UK time, as every record as at a date
        end = dates.end_of_uk_day(as_at)
        rows = [r for r in rows if r["attested_at"] < end]
    latest: dict[str, dict[str, Any]] = {}
    for r in rows:
        latest[r["statement_id"]] = r
    return latest


def as_attested(rows: dict[str, dict[str, Any]]) -> dict[str, caf.Attested]:
    return {k: caf.Attested(value=r["value"], note=r["note"], attested_by=r["attested_by"],
                            role=r["role"], attested_at=r["attested_at"]) for k, r in rows.items()}
