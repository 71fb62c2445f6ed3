"""Questionnaire logic on plain values: which questions show, which values are valid, what is missing."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from questionnaires.schema import Definition, Question, QuestionType

MAX_TEXT = 10_000
MAX_FILES = 20


class AnswerInvalid(ValueError):
    """A value the question cannot take; the message is for the person answering."""


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [] if value is None else [str(value)]


def visible_ids(definition: Definition, answers: Mapping[str, Any]) -> set[str]:
    """Questions shown given the answers so far; a question hidden by its condition hides its followers."""
    shown: set[str] = set()
    for question in definition.questions():
        condition = question.show_if
        if condition is None:
            shown.add(question.id)
            continue
        if condition.question not in shown:
            continue
        given = _as_list(answers.get(condition.question))
        if set(given) & set(condition.any_of):
            shown.add(question.id)
    return shown


def is_answered(question: Question, value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, list):
        return len(value) > 0
    return True


def missing_required(definition: Definition, answers: Mapping[str, Any]) -> list[str]:
    shown = visible_ids(definition, answers)
    return [q.id for q in definition.questions()
            if q.required and q.id in shown and not is_answered(q, answers.get(q.id))]


def validate_value(question: Question, value: Any) -> Any:
    """Return the value normalised for storage, or raise AnswerInvalid in plain words.

    ``None`` (or an empty string) clears an answer and is always allowed.
    """
    if value is None or (isinstance(value, str) and value.strip() == ""
                         and question.type != QuestionType.multi_choice):
        return None
    kind = question.type
    if kind in (QuestionType.yes_no, QuestionType.single_choice):
        if not isinstance(value, str) or value not in question.allowed_values():
            allowed = ", ".join(f'"{v}"' for v in question.allowed_values())
            raise AnswerInvalid(f"Choose one of {allowed}.")
        return value
    if kind == QuestionType.multi_choice:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise AnswerInvalid("Choose one or more of the options, as a list.")
        unknown = [v for v in value if v not in question.allowed_values()]
        if unknown:
            raise AnswerInvalid(f"{', '.join(unknown)} is not one of the options.")
        return [v for v in question.allowed_values() if v in value]  # stable order, no repeats
    if kind == QuestionType.text:
        if not isinstance(value, str):
            raise AnswerInvalid("Enter text.")
        if "\x00" in value:
            raise AnswerInvalid("Remove the NUL character from the text.")
        if len(value) > MAX_TEXT:
            raise AnswerInvalid(f"Keep the answer under {MAX_TEXT:,} characters.")
        return value.strip()
    if kind == QuestionType.date:
        if not isinstance(value, str):
            raise AnswerInvalid("Enter a date such as 2025-03-31.")
        try:
            parsed = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise AnswerInvalid("Enter a real date such as 2025-03-31.") from None
        if not (1990 <= parsed.year <= 2100):
            raise AnswerInvalid("Enter a date between 1990 and 2100.")
        return parsed.isoformat()
    if kind == QuestionType.number:
        if isinstance(value, str):
            try:
                value = float(value.replace(",", "").strip())
            except ValueError:
                raise AnswerInvalid("Enter a number, like 24.") from None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise AnswerInvalid("Enter a number, like 24.")
        if question.min is not None and value < question.min:
            raise AnswerInvalid(f"Enter a number of at least {question.min:g}.")
        if question.max is not None and value > question.max:
            raise AnswerInvalid(f"Enter a number no more than {question.max:g}.")
        return int(value) if float(value).is_integer() else value
    if kind == QuestionType.file:
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool)
                                                  for v in value):
            raise AnswerInvalid("Attach files by their evidence ids, as a list.")
        if len(value) > MAX_FILES:
            raise AnswerInvalid(f"Attach at most {MAX_FILES} files.")
        return sorted(set(value))
    raise AnswerInvalid("This question cannot be answered.")  # pragma: no cover


def progress(definition: Definition, answers: Mapping[str, Any]) -> dict[str, int]:
    shown = visible_ids(definition, answers)
    questions = [q for q in definition.questions() if q.id in shown]
    answered = sum(1 for q in questions if is_answered(q, answers.get(q.id)))
    return {"answered": answered, "total": len(questions)}


def meets_requirement(question: Question, value: Any) -> bool | None:
    """Whether an answer is one the question counts as compliant; None when the question names
    no compliant answers or has no answer to judge."""
    if not question.compliant or value is None or value == [] or value == "":
        return None
    return bool(set(_as_list(value)) & set(question.compliant))


REVIEW_FILTERS: dict[str, str] = {
    "all": "All answers",
    "unmet": "Only answers that don't meet the requirement",
    "queried": "Only queried answers",
}


def review_filter(show: str, *, meets: bool | None, last_decision: str | None,
                  open_for_clarification: bool) -> bool:
    """Whether an answer stays on the review page under the chosen filter."""
    if show == "unmet":
        return meets is False
    if show == "queried":
        return last_decision == "query" or open_for_clarification
    return True


def compliance(definition: Definition, answers: Mapping[str, Any],
               assurance: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Weighted share of compliant answers among visible, scorable questions.

    Unanswered required questions count against the supplier; with nothing scorable the
    share is None (no score), never zero. ``assurance`` scales each answer by how it is
    backed (asserted < evidenced < checked by a reviewer), 1.0 where not given.
    """
    shown = visible_ids(definition, answers)
    earned = possible = 0
    failing: list[str] = []
    for question in definition.questions():
        if not question.weight or question.id not in shown:
            continue
        value = answers.get(question.id)
        if value == "na":
            continue
        if not is_answered(question, value) and not question.required:
            continue
        possible += question.weight
        if meets_requirement(question, value):
            earned += question.weight * (assurance or {}).get(question.id, 1.0)
        else:
            failing.append(question.id)
    return {"share": (earned / possible) if possible else None, "earned": earned,
            "possible": possible, "failing": failing}


def follow_ups(definition: Definition, question_ids: set[str] | list[str]) -> set[str]:
    """The questions that depend on these (directly or through another follow-up): reopening
    an answer for clarification reopens the questions its answer may reveal."""
    found: set[str] = set()
    wanted = set(question_ids)
    for question in definition.questions():  # definitions list a condition before its followers
        if question.show_if is not None and question.show_if.question in wanted | found:
            found.add(question.id)
    return found - wanted


def newly_revealed(definition: Definition, before: Mapping[str, Any], after: Mapping[str, Any],
                   among: set[str] | list[str]) -> list[str]:
    """Questions (of `among`, e.g. one section) that the new answers reveal and that have no
    answer yet: the page must show them before the person moves on."""
    shown_before = visible_ids(definition, before)
    shown_after = visible_ids(definition, after)
    return [q.id for q in definition.questions()
            if q.id in among and q.id in shown_after and q.id not in shown_before
            and not is_answered(q, after.get(q.id))]


REPLY_MAX = 5000


def clean_reply(text: Any) -> str:
    """A supplier's written reply to a reviewer's query, normalised, or AnswerInvalid."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise AnswerInvalid("The reply must be text.")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in text):
        raise AnswerInvalid("The reply contains control characters that can't be stored. "
                            "Remove them (for example, paste as plain text) and try again.")
    if len(text) > REPLY_MAX:
        raise AnswerInvalid(f"The reply must be {REPLY_MAX:,} characters or fewer "
                            f"(it is {len(text):,}).")
    return text
