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
    text_type,
)


class Scheme(StrEnum):
    dspt = "dspt"
    cyber_essentials = "cyber_essentials"
    cyber_essentials_plus = "cyber_essentials_plus"
    iso27001 = "iso27001"
    other = "other"


class FlagCode(StrEnum):
    legal_entity = "legal_entity"
    scope = "scope"
    edition_unknown = "edition_unknown"
    accreditation = "accreditation"
    ce_plus_basic = "ce_plus_basic"
    dspt_publication = "dspt_publication"


class CertificationVerify(InputModel):
    checked: text_type(1000) = Field(
        description="What was looked up, e.g. 'IASME certificate search, number matches, "
                    "legal entity QuickScribe UK Ltd'")
    clear_flags: list[FlagCode] = Field(
        default_factory=list, max_length=6,
        description="Flags the reviewer clears (legal_entity, scope, ...), with the note saying why")
    note: LongText = Field("", description="Why: required when clearing a flag")
    version: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _why(self) -> CertificationVerify:
        if len(self.checked) < 5:
            raise ValueError("say in 'checked' what you looked up (at least 5 characters)")
        if self.clear_flags and len(self.note.strip()) < 5:
            raise ValueError("say in 'note' why the flag can be cleared")
        return self


class CertificationCreate(InputModel):
    supplier_id: Id
    scheme: Scheme
    scheme_name: ShortText = Field("", description="For scheme 'other': the scheme's name, "
                                                   "e.g. 'BS EN 15713' or 'Digital Marketplace'")
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
        if self.scheme == Scheme.other and not self.scheme_name:
            raise ValueError("a certificate under scheme 'other' needs its scheme_name, "
                             "e.g. 'BS EN 15713'")
        return self


class CertificationPatch(PatchModel):
    status: ShortText = None  # type: ignore[assignment]
    scheme_name: ShortText = None  # type: ignore[assignment]
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
    scheme_name: str = ""
    verification: str
    verified_by: str = ""
    verified_at: dt.datetime | None = None
    verification_checked: str = Field("", description="What the reviewer looked up")
    flags_cleared: list[dict] = Field(default_factory=list,
                                      description="Flags a reviewer cleared: flag, by, at, note")
    notes: str
    current: bool = Field(description="Counts today under the scheme's validity rule")
    satisfies: bool = Field(description="Meets a requirement (DSPT needs Standards Met or above)")
    reason: str | None = Field(None, description="Why it is not current or only partly counts")
    flags: list[str] = Field(default_factory=list,
                             description="Coverage doubts a reviewer should check")
    dspt_level: str | None = None
    flag_codes: list[str] = Field(default_factory=list, description="The open flags by code")


class ExpiringCertificationOut(CertificationOut):
    days_left: int
