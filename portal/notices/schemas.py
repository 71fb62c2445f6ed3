"""HTTP schemas for sub-processor change notices (written by hand)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from portal.core.schemas import InputModel, ReasonableDate


class NoticeIn(InputModel):
    change: str = Field(pattern=r"^(add|replace|remove)$")
    subprocessor_id: int | None = Field(None, gt=0, description="the one replaced or removed")
    name: str = Field("", max_length=200)
    service: str = Field("", max_length=300)
    data_processed: str = Field("", max_length=10_000)
    location: str = Field("", max_length=200)
    transfer_mechanism: str = Field("unknown", pattern=r"^(uk|adequacy|idta|uk_addendum|none|unknown)$")
    tra_reference: str = Field("", max_length=100)
    intended_start: ReasonableDate
    source_detail: str = Field("", max_length=2000, description="e.g. 'email from J Smith, 3 March'")


class DecisionIn(InputModel):
    decision: str = Field(pattern=r"^(no_objection|objection|accepted_with_conditions)$")
    reasons: str = Field("", max_length=10_000)
    version: int | None = Field(None, ge=1)


class NoticeOut(BaseModel):
    id: int
    supplier: int
    supplier_name: str
    change: str
    subprocessor: int | None
    replaces_name: str | None
    name: str
    service: str
    data_processed: str
    location: str
    transfer_mechanism: str
    tra_reference: str
    intended_start: dt.date
    received_at: dt.datetime
    source: str
    source_detail: str
    objection_deadline: dt.date
    days_left: int
    status: str
    decision: str
    decision_reasons: str
    decided_by: str
    decided_at: dt.datetime | None
    reminded_at: dt.datetime | None
    applied_at: dt.datetime | None
    version: int


class NoticeLinkOut(BaseModel):
    link: str = Field(description="Shown once: send it to the supplier; only its hash is kept")
