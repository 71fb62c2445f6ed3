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


class ScoreOut(BaseModel):
    supplier_id: int
    score: int = Field(ge=0, le=100)
    rating: str = Field(description="green, amber or red")
    tier: str = Field(description="critical, elevated or baseline")
    criteria: list[CriterionOut]
    gates: list[str] = Field(description="Why the rating is capped whatever the points")
    computed_at: dt.datetime
