"""The organisation using the portal (one row): its profile, and its DSPT category, which
chooses what the evidence pack answers (NDG standard 10 items or CAF A4.a).

GET /api/v1/organisation for every staff role; PATCH for admins, through `update_organisation`
(validated, audited in the same transaction).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, get, patch
from pydantic import EmailStr, Field

from models.tables import Organisation
from portal.core import audit
from portal.core.db import write_transaction
from portal.core.permissions import READ
from portal.core.schemas import InputModel, LongText, Name, OdsCode, OutputModel, ShortText
from portal.core.security import now

CATEGORY_DESCRIPTION = ("DSPT organisation category: 1 = NHS trusts and foundation trusts, ICBs, "
                        "CSUs, arm's-length bodies (CAF-aligned toolkit from 2024-25); 2-4 answer "
                        "the NDG standard 10 items")
FIELDS = ("name", "ods_code", "dspt_category", "ig_lead_name", "ig_lead_email", "siro_name",
          "siro_email", "address", "contact_details", "accessibility_statement", "privacy_notice",
          "review_assignment", "review_team_email", "schedule_wording")
ASSIGNMENT_DESCRIPTION = ("Who a submitted questionnaire waits on: round_robin (the reviewer with "
                          "the fewest open items) or unassigned (the team picks it up)")
WORDING_DESCRIPTION = ("Base text of generated data protection schedules: portal (the portal's "
                       "model clauses) or national (the Crown Commercial Service model data "
                       "protection clauses, PPN 03/17 lineage)")
Email = Annotated[EmailStr, Field(max_length=254)] | Literal[""]


class OrganisationOut(OutputModel):
    id: int
    name: str
    ods_code: str
    dspt_category: int = Field(description=CATEGORY_DESCRIPTION)
    ig_lead_name: str
    ig_lead_email: str
    siro_name: str
    siro_email: str
    address: str
    contact_details: str = Field(description="How suppliers contact you (supplier pages' footer)")
    accessibility_statement: str = Field(description="Accessibility statement (supplier pages)")
    privacy_notice: str = Field(description="Privacy notice (supplier pages)")
    review_assignment: str = Field(description=ASSIGNMENT_DESCRIPTION)
    review_team_email: str = Field(description="Team address for submissions nobody is assigned")
    schedule_wording: str = Field(description=WORDING_DESCRIPTION)


class OrganisationPatch(InputModel):
    name: Name = None  # type: ignore[assignment]
    ods_code: OdsCode = None  # type: ignore[assignment]
    dspt_category: Literal[1, 2, 3, 4] = Field(None, description=CATEGORY_DESCRIPTION)  # type: ignore[assignment]
    ig_lead_name: ShortText = None  # type: ignore[assignment]
    ig_lead_email: Email = None  # type: ignore[assignment]
    siro_name: ShortText = None  # type: ignore[assignment]
    siro_email: Email = None  # type: ignore[assignment]
    address: LongText = None  # type: ignore[assignment]
    contact_details: LongText = None  # type: ignore[assignment]
    accessibility_statement: LongText = None  # type: ignore[assignment]
    privacy_notice: LongText = None  # type: ignore[assignment]
    review_assignment: Literal["round_robin", "unassigned"] = Field(  # type: ignore[assignment]
        None, description=ASSIGNMENT_DESCRIPTION)
    review_team_email: Email = None  # type: ignore[assignment]
    schedule_wording: Literal["portal", "national"] = Field(  # type: ignore[assignment]
        None, description=WORDING_DESCRIPTION)


DEFAULT = {"id": 0, "name": "Your organisation", "ods_code": "", "dspt_category": 1,
           "ig_lead_name": "", "ig_lead_email": "", "siro_name": "", "siro_email": "",
           "address": "", "contact_details": "", "accessibility_statement": "",
           "privacy_notice": "", "review_assignment": "round_robin", "review_team_email": "",
           "schedule_wording": "portal"}


async def get_organisation() -> dict[str, Any]:
    """The profile (a default until one is written)."""
    row = await Organisation.select().order_by(Organisation.id).first()
    return row or dict(DEFAULT)


async def update_organisation(data: OrganisationPatch) -> dict[str, Any]:
    changes = {k: getattr(data, k) for k in data.model_fields_set if getattr(data, k) is not None}
    async with write_transaction():
        row = await Organisation.select().order_by(Organisation.id).first()
        if row is None:
            values = {**{k: v for k, v in DEFAULT.items() if k != "id"}, **changes}
            created = Organisation(**values)
            await created.save()
            after = await Organisation.select().where(Organisation.id == created.id).first()
            await audit.record("organisation.created", target_type="organisation",
                               target_id=created.id, after=after)
            return after
        real = {k: v for k, v in changes.items() if row.get(k) != v}
        if not real:
            return row
        await Organisation.update({**{Organisation._meta.get_column_by_name(k): v
                                      for k, v in real.items()},
                                   Organisation.updated_at: now()}).where(Organisation.id == row["id"])
        after = await Organisation.select().where(Organisation.id == row["id"]).first()
        await audit.record("organisation.updated", target_type="organisation", target_id=row["id"],
                           before={k: row[k] for k in real}, after={k: after[k] for k in real})
        return after


def organisation_out(row: dict[str, Any]) -> OrganisationOut:
    return OrganisationOut.model_validate({k: row.get(k, DEFAULT[k]) for k in ("id", *FIELDS)})


class OrganisationController(Controller):
    path = "/api/v1/organisation"
    tags = ["Organisation"]

    @get("/", opt={"permission": READ}, summary="The organisation's profile and DSPT category")
    async def show(self) -> OrganisationOut:
        return organisation_out(await get_organisation())

    @patch("/", opt={"permission": "organisation.write"},
           summary="Change the organisation's profile or DSPT category (admins; audited)")
    async def update(self, data: OrganisationPatch) -> OrganisationOut:
        return organisation_out(await update_organisation(data))
