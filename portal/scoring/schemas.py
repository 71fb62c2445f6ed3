"""The score as the API shows it: every criterion with its points, reasons and fixes."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class CriterionOut(BaseModel):
    key: str
    title: str
    points: float
    max_points: int
    met: bool
    reasons: list[str]
    evidences: list[str] = Field(description="Toolkit items and CAF outcomes it evidences")
    fixes: list[str]
    records: list[dict] = Field(default_factory=list,
                                description="The records and answers it used, with their "
                                            "verification level")


class CapOut(BaseModel):
    key: str = Field(description="The gate, knockout:<assessment>:<question> or incident:<id>")
    kind: str = Field(description="gate, knockout or incident")
    rating: str = Field(description="The highest rating it allows: red, or amber once accepted")
    reason: str
    acceptance: str | None = Field(None, description="The SIRO acceptance while it lasts")
    risk_id: int | None = Field(None, description="The risk that records it")


class ScoreOut(BaseModel):
    supplier_id: int
    score: int = Field(ge=0, le=100)
    rating: str = Field(description="green, amber or red")
    tier: str = Field(description="critical, elevated or baseline")
    criteria: list[CriterionOut]
    gates: list[str] = Field(description="Why the rating is capped whatever the points")
    caps: list[CapOut] = Field(default_factory=list,
                               description="Gates, knock-outs and incidents that cap the rating")
    tier_reasons: list[str] = Field(default_factory=list, description="Why this tier")
    computed_at: dt.datetime
