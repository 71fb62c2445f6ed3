"""The bundle format's checks, on plain values (no tables, no framework).

`check_payload` validates a decoded payload against the documented format (version 1) and
returns the reasons it refuses; the service maps each to the right refusal.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from questionnaires.schema import Definition

FORMAT = "nhs-supplier-portal/answer-bundle"
VERSION = 1


class Refused(Exception):
    """A bundle we will not import; `reason` is one of REASONS."""

    REASONS = ("malformed", "tampered", "untrusted", "expired", "hash_mismatch")

    def __init__(self, reason: str, message: str) -> None:
        assert reason in self.REASONS
        super().__init__(message)
        self.reason = reason
        self.message = message


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Issuer(_Strict):
    name: str = Field(min_length=1, max_length=200)
    ods_code: str = Field("", max_length=20)
    key_id: str = Field(min_length=1, max_length=16)


class SupplierRef(_Strict):
    name: str = Field(min_length=1, max_length=200)
    legal_name: str = Field("", max_length=200)
    companies_house_number: str = Field("", max_length=8)
    ods_code: str = Field("", max_length=20)


class DefinitionRef(_Strict):
    key: str = Field(max_length=100)
    version: str = Field(max_length=40)
    title: str = Field(max_length=200)
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    content: dict[str, Any]


class AnswerOut(_Strict):
    question_id: str = Field(max_length=100)
    value: Any = None
    comment: str = Field("", max_length=20_000)
    decision: str | None = Field(None, max_length=20)
    reviewer: str = Field("", max_length=150)


class FileOut(_Strict):
    question_id: str = Field("", max_length=100)
    name: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    content_base64: str | None = None


class CertificationOut(_Strict):
    scheme: str = Field(max_length=30)
    scheme_name: str = Field("", max_length=200)
    status: str = Field("", max_length=100)
    certificate_number: str = Field("", max_length=100)
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None
    verification: str = Field(max_length=30)


class Decision(_Strict):
    outcome: str = Field(pattern=r"^accepted$")
    decided_at: dt.datetime
    decided_by: str = Field("", max_length=150)
    comment: str = Field("", max_length=20_000)


class Payload(_Strict):
    format: str = Field(pattern=f"^{FORMAT}$")
    version: int = Field(ge=VERSION, le=VERSION)
    bundle_id: str = Field(pattern=r"^[0-9a-f]{32,64}$")
    issued_at: dt.datetime
    expires_on: dt.date
    issuer: Issuer
    supplier: SupplierRef
    definition: DefinitionRef
    decision: Decision
    answers: list[AnswerOut] = Field(max_length=5_000)
    evidence: list[FileOut] = Field(max_length=1_000)
    certifications: list[CertificationOut] = Field(max_length=200)


@dataclass(frozen=True)
class Checked:
    payload: Payload
    definition: Definition
    files: dict[str, bytes]  # sha256 -> bytes, for the files the bundle carries


def check_payload(data: dict[str, Any], *, envelope_key_id: str, today: dt.date) -> Checked:
    """Everything the signature doesn't tell us: shape, key, expiry, hashes."""
    try:
        payload = Payload.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the bundle"
        raise Refused("malformed", f"The bundle is not in the documented format "
                                   f"({where}: {first['msg']}).") from None
    if payload.issuer.key_id != envelope_key_id:
        raise Refused("tampered", "The bundle names a different signing key from the one "
                                  "that signed it.")
    if payload.expires_on < today:
        raise Refused("expired", f"The bundle expired on {payload.expires_on:%d %B %Y}; ask "
                                 f"{payload.issuer.name} for a current one.")
    try:
        definition = Definition.model_validate(payload.definition.content)
    except ValidationError:
        raise Refused("malformed", "The questionnaire definition in the bundle is not a "
                                   "valid definition.") from None
    if definition.content_hash != payload.definition.content_hash:
        raise Refused("hash_mismatch", "The questionnaire definition does not match its "
                                       "content hash.")
    files: dict[str, bytes] = {}
    for item in payload.evidence:
        if item.content_base64 is None:
            continue
        try:
            data_bytes = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise Refused("malformed", f"The file {item.name!r} is not valid base64.") from None
        if hashlib.sha256(data_bytes).hexdigest() != item.sha256 or len(data_bytes) != item.size:
            raise Refused("hash_mismatch", f"The file {item.name!r} does not match its SHA-256.")
        files[item.sha256] = data_bytes
    return Checked(payload=payload, definition=definition, files=files)


def bundle_id(*, organisation: str, ods_code: str, assessment_id: int, decided_at: str) -> str:
    """The same accepted assessment always makes the same bundle id (imports are idempotent)."""
    return hashlib.sha256(f"{organisation}\n{ods_code}\n{assessment_id}\n{decided_at}".encode()
                          ).hexdigest()[:32]
