"""HTTP schemas for bundles, the trust list and reused assessments (written by hand)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from portal.core.schemas import name_type

OrgName = name_type(200)


class SignatureOut(BaseModel):
    keyid: str = Field(description="Key id: the first 16 hex digits of the key's fingerprint")
    sig: str = Field(description="Base64 Ed25519 signature over the DSSE PAE of the payload")


class BundleEnvelope(BaseModel):
    """A DSSE envelope; `payload` is base64 of the bundle's canonical JSON (see the README)."""

    payloadType: str  # noqa: N815 - the DSSE field name
    payload: str
    signatures: list[SignatureOut]


class SigningKeyOut(BaseModel):
    key_id: str
    algorithm: str = "Ed25519"
    public_key: str = Field(description="Base64 of the raw 32-byte Ed25519 public key")
    fingerprint: str = Field(description="SHA-256 of the raw public key, hex")
    status: str = Field(description="active or retired (retired keys still verify)")
    created_at: str
    retired_at: str | None = None


class SigningKeysOut(BaseModel):
    organisation: str
    ods_code: str
    keys: list[SigningKeyOut]


class TrustedIssuerIn(BaseModel):
    organisation_name: OrgName  # type: ignore[valid-type]
    ods_code: str = Field("", max_length=20)
    public_key: str = Field(min_length=1, max_length=2000,
                            description="Base64 raw Ed25519 key, or a PEM public key")
    fingerprint: str = Field(min_length=64, max_length=200,
                             description="The fingerprint as the organisation gave it to you "
                                         "(spaces allowed): it must match the key")


class TrustedIssuerOut(BaseModel):
    id: int
    organisation_name: str
    ods_code: str
    key_id: str
    public_key: str
    fingerprint: str
    status: str = Field(description="pending, trusted or revoked")
    added_by: str
    added_at: dt.datetime
    confirmed_by: str
    confirmed_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ReusedAnswerOut(BaseModel):
    question_id: str
    value: Any = None
    comment: str = ""
    decision: str | None = None
    reviewer: str = ""


class ReusedFileOut(BaseModel):
    question_id: str = ""
    name: str
    content_type: str
    size: int
    sha256: str
    included: bool


class ReusedAssessmentOut(BaseModel):
    id: int
    supplier_id: int
    supplier_name: str
    bundle_id: str
    issuer_name: str
    issuer_ods_code: str
    key_id: str
    questionnaire_key: str
    questionnaire_title: str
    accepted_at: dt.datetime
    decided_by: str
    expires_on: dt.date
    expired: bool
    provenance: str
    answers: list[ReusedAnswerOut]
    files: list[ReusedFileOut]
    imported_by: str
    imported_at: dt.datetime
    created: bool = Field(False, description="false when the same bundle was imported before")


def issuer_out(row: dict[str, Any]) -> TrustedIssuerOut:
    return TrustedIssuerOut.model_validate(row)


def reused_out(row: dict[str, Any], *, created: bool = False) -> ReusedAssessmentOut:
    return ReusedAssessmentOut.model_validate({
        **row, "created": created,
        "files": [{**f, "included": bool(f.get("storage_key"))} for f in row["files"]]})
