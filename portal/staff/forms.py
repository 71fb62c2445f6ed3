"""Workspace forms: read a posted form as text, and turn a schema's refusal into plain
sentences keyed by field, so the page can show them in an error summary and beside each field
(NHS.UK error pattern) while keeping what was typed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from portal.core.errors import InvalidInput


@dataclass(frozen=True)
class Field:
    """How a form field is spoken of: what to say when it is missing and when it is wrong."""

    missing: str
    invalid: str
    label: str = ""


def text_values(form: Any, names: tuple[str, ...], *, max_length: int = 20_000) -> dict[str, str]:
    """The named fields as stripped text ("" when absent); a file or an overlong value is a 400."""
    typed: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InvalidInput("This form takes no files.")
        if len(value) > max_length:
            raise InvalidInput("A field of this form is far too long.")
        typed[name] = value.strip()
    return typed


def yes_no(value: str) -> bool | None:
    """A Yes/No radio: True, False, or None when neither was chosen (or something else sent)."""
    return {"yes": True, "no": False}.get(value)


def field_errors(error: ValidationError, fields: dict[str, Field],
                 whole_form: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
    """One sentence per field, in the user's words, never a schema's field name or message.

    ``whole_form`` maps a phrase of a cross-field rule's message to the field it belongs to."""
    errors: dict[str, str] = {}
    for item in error.errors():
        loc = [str(part) for part in item.get("loc", ())]
        name = loc[0] if loc else ""
        if name not in fields:
            message = str(item.get("msg", ""))
            name = next((f for phrase, f in whole_form if phrase in message), "")
            if name not in fields:
                name = next(iter(fields))
        spoken = fields[name]
        if name in errors:
            continue
        kind = item.get("type", "")
        if kind == "missing":
            errors[name] = spoken.missing
        elif kind == "string_too_long":
            limit = (item.get("ctx") or {}).get("max_length")
            errors[name] = (f"{spoken.label or 'This'} must be {limit} characters or fewer."
                            if limit else spoken.invalid)
        elif kind == "string_too_short" and (item.get("ctx") or {}).get("min_length") == 1:
            errors[name] = spoken.missing
        else:
            errors[name] = spoken.invalid
    return errors


def date_parts(form: Any, field: str) -> dict[str, str]:
    """The day, month and year boxes of an NHS.UK date input, as typed."""
    return text_values(form, (f"{field}-day", f"{field}-month", f"{field}-year"), max_length=20)


def date_value(parts: dict[str, str], field: str) -> tuple[str | None, bool]:
    """An ISO date from the three boxes: (None, True) when all are blank, (None, False) when
    they don't make a real date, else (the date, True)."""
    day, month, year = (parts[f"{field}-{p}"] for p in ("day", "month", "year"))
    if not (day or month or year):
        return None, True
    try:
        return dt.date(int(year), int(month), int(day)).isoformat(), True
    except ValueError:
        return None, False
