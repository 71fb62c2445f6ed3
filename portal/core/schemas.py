"""Building blocks for the hand-written HTTP schemas shared by every domain."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

T = TypeVar("T")

def _reasonable_date(value: object) -> object:
    if isinstance(value, dt.date) and not (1900 <= value.year <= 2199):
        raise ValueError("must be a date between 1900 and 2199")
    return value


# A calendar date a person would really mean (keeps date arithmetic away from year 9999).
ReasonableDate = Annotated[dt.date, AfterValidator(_reasonable_date)]

# Database integer ids are 32-bit on PostgreSQL: reject larger ones at the boundary.
MAX_ID = 2_147_483_647
Id = Annotated[int, Field(gt=0, le=MAX_ID)]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def upper_code(pattern: str) -> object:
    """A code compared in capitals (ODS, Companies House, ICO): normalised before the pattern."""
    return Annotated[str, BeforeValidator(_upper), StringConstraints(pattern=pattern)]


def _must_be_bool(value: object) -> object:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


# JSON true/false only: "yes" or 1 is an error, not a guess.
Flag = Annotated[bool, BeforeValidator(_must_be_bool)]

OdsCode = upper_code(r"^([A-Z0-9]{3,10})?$")


def contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False


class InputModel(BaseModel):
    """Request bodies: unknown fields are errors, so a typo is never silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: object) -> object:
        # PostgreSQL cannot store NUL in text; refuse it here rather than fail there.
        if contains_nul(data):
            raise ValueError("text must not contain NUL (\\x00) characters")
        return data


class PatchModel(InputModel):
    """Partial updates: only the fields sent are changed; ``version`` guards against lost updates."""

    version: Annotated[int, Field(ge=1, le=MAX_ID)] | None = Field(
        None, description="The version you last read; a stale one gets 409 instead of overwriting."
    )

    def changes(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.model_fields_set if k != "version"}


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(OutputModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class Timestamps(OutputModel):
    created_at: dt.datetime
    updated_at: dt.datetime
    archived_at: dt.datetime | None = None
    version: int
