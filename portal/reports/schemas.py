"""Request and response shapes of the report endpoints (written by hand, not from tables)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from portal.core.schemas import InputModel, Name, OutputModel
from portal.reports.approvals import ApprovalRole

Toolkit = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", description="toolkit year, e.g. 2026-27")]


class ApprovalCreate(InputModel):
    toolkit: Toolkit
    as_at: Annotated[str | None, Field(max_length=20)] = Field(
        None, description="YYYY-MM-DD: approve the pack as at that day; omitted: as today")
    role: ApprovalRole = Field(description="ig_lead or siro: the capacity you approve in")
    approver_name: Name = Field(description="The name printed in the approval block")


class ApprovalOut(OutputModel):
    id: int
    toolkit: str
    version: int
    category: int
    as_at: dt.date
    manifest_sha256: str
    approver_name: str
    role: str
    role_label: str
    approved_at: dt.datetime
    approved_by: str


class ApprovalBlock(OutputModel):
    toolkit: str
    version: int = Field(description="The version this content has, or the next if unsigned")
    as_at: dt.date
    category: int
    manifest_sha256: str
    approved: bool
    approvals: list[ApprovalOut]
