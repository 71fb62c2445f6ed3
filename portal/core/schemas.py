"""Building blocks for the hand-written HTTP schemas shared by every domain."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

T = TypeVar("T")

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


class InputModel(BaseModel):
    """Request bodies: unknown fields are errors, so a typo is never silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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
