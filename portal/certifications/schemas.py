"""HTTP schemas for certifications (Cyber Essentials, ISO/IEC 27001, DSPT and others)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field, model_validator

from portal.core.schemas import (
    Id,
    InputModel,
    LongText,
    OdsCode,
    PatchModel,
    ReasonableDate,
    ShortText,
    Timestamps,
    line_type,
)


class Scheme(StrEnum):
    dspt = "dspt"
    cyber_essentials = "cyber_essentials"
    cyber_essentials_plus = "cyber_essentials_plus"
    iso27001 = "iso27001"
    other = "other"


class CertificationCreate(InputModel):
    supplier_id: Id
    scheme: Scheme
    status: ShortText = Field("", description="For DSPT, the published status, e.g. '24/25 Standards Met'")
    certificate_number: line_type(100) = ""
    edition: line_type(20) = ""
    certification_body: ShortText = ""
    accreditation_body: line_type(100) = ""
    legal_entity: ShortText = ""
    scope: LongText = ""
    issued_on: ReasonableDate | None = None
    expires_on: ReasonableDate | None = None
    audited_on: ReasonableDate | None = None
    ods_code: OdsCode = ""
    notes: LongText = ""

    @model_validator(mode="after")
    def _dates(self) -> CertificationCreate:
        if self.issued_on and self.expires_on and self.expires_on < self.issued_on:
            raise ValueError("expires_on must be on or after issued_on")
        return self


class CertificationPatch(PatchModel):
    status: ShortText = None  # type: ignore[assignment]
    certificate_number: line_type(100) = None  # type: ignore[assignment]
    edition: line_type(20) = None  # type: ignore[assignment]
    certification_body: ShortText = None  # type: ignore[assignment]
    accreditation_body: line_type(100) = None  # type: ignore[assignment]
    legal_entity: ShortText = None  # type: ignore[assignment]
    scope: LongText = None  # type: ignore[assignment]
    issued_on: ReasonableDate | None = None
    expires_on: ReasonableDate | None = None
    audited_on: ReasonableDate | None = None
    ods_code: OdsCode = None  # type: ignore[assignment]
    notes: LongText = None  # type: ignore[assignment]


class CertificationOut(Timestamps):
    id: int
    supplier_id: int
    scheme: str
    status: str
    certificate_number: str
    edition: str
    certification_body: str
    accreditation_body: str
    legal_entity: str
    scope: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    audited_on: dt.date | None
    ods_code: str
    verification: str
    notes: str
    current: bool = Field(description="Counts today under the scheme's validity rule")
    satisfies: bool = Field(description="Meets a requirement (DSPT needs Standards Met or above)")
    reason: str | None = Field(None, description="Why it is not current or only partly counts")
    flags: list[str] = Field(default_factory=list,
                             description="Coverage doubts a reviewer should check")
    dspt_level: str | None = None


class ExpiringCertificationOut(CertificationOut):
    days_left: int
