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

from portal.core.text import check_line, check_name, check_text, text_problem

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

def name_type(max_length: int = 200) -> object:
    """A name (of a supplier, contact, product, risk...): one line, printable, not blank.
    Every schema that takes a name uses this (core/text.py holds the one check)."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=max_length), AfterValidator(check_name)]


def line_type(max_length: int = 200) -> object:
    """A short one-line field that may be empty (a reference, a role, a phone number)."""
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=max_length),
                     AfterValidator(check_line)]


def text_type(max_length: int = 10_000) -> object:
    """Free text: line breaks and tabs kept, other control characters refused."""
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=max_length),
                     AfterValidator(check_text)]


Name = name_type(200)
ShortText = line_type(200)
LongText = text_type(10_000)


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


def text_problem_in(value: object) -> str | None:
    """The first problem (core/text.py) in any string of a request body, keys included."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, dict):
        for k, v in value.items():
            problem = text_problem_in(k) or text_problem_in(v)
            if problem:
                return problem
    if isinstance(value, list | tuple):
        for v in value:
            problem = text_problem_in(v)
            if problem:
                return problem
    return None


class InputModel(BaseModel):
    """Request bodies: unknown fields are errors, so a typo is never silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_unprintable_characters(cls, data: object) -> object:
        # PostgreSQL cannot store NUL in text, and Word documents can't hold other control
        # characters: refuse them here rather than fail later. Names and one-line fields are
        # stricter still (their types above).
        problem = text_problem_in(data)
        if problem:
            raise ValueError(problem)
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
