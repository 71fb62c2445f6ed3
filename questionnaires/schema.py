"""The questionnaire definition format: a pydantic schema that refuses unsound definitions.

Plain Python (pydantic only): used by the loader, the `portal questionnaires check` command,
the supplier API and pages, and the scoring.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,60}$")]


class QuestionType(StrEnum):
    yes_no = "yes_no"
    single_choice = "single_choice"
    multi_choice = "multi_choice"
    text = "text"
    date = "date"
    number = "number"
    file = "file"


YES_NO_VALUES = ("yes", "no", "na")
YES_NO_LABELS = {"yes": "Yes", "no": "No", "na": "Not applicable"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(Strict):
    value: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,60}$")]
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Condition(Strict):
    """Show a question only when an earlier answer is one of ``any_of``."""

    question: Identifier
    any_of: list[str] = Field(min_length=1)


class KnockOut(Strict):
    """An answer that breaks a criterion outright: once the assessment is accepted it opens a
    risk linked to the answer and caps the rating at red until mitigated or accepted."""

    answers: list[str] = Field(default_factory=list,
                               description="Answers that knock the supplier out (choice questions)")
    above: float | None = Field(None, description="A number above this knocks it out "
                                                  "(number questions)")
    reason: Annotated[str, StringConstraints(min_length=5, max_length=300)]
    criterion: Annotated[str, StringConstraints(min_length=3, max_length=200)] = Field(
        description="The criterion it breaks, e.g. 'UK GDPR Chapter V (international transfers)'")


class Question(Strict):
    id: Identifier
    type: QuestionType
    text: Annotated[str, StringConstraints(min_length=5, max_length=500)]
    help: str = ""
    required: bool = True
    options: list[Option] = Field(default_factory=list)
    allow_na: bool = False
    show_if: Condition | None = None
    evidence_expected: bool = False
    compliant: list[str] = Field(default_factory=list,
                                 description="Answers that meet the requirement")
    weight: int = Field(0, ge=0, le=10)
    evidences: list[str] = Field(default_factory=list,
                                 description="Criteria, DSPT or CAF references it evidences")
    maps_to: list[str] = Field(default_factory=list,
                               description="Identifiers in other frameworks (CAIQ, DTAC …)")
    min: float | None = None
    max: float | None = None
    knockout: KnockOut | None = None
    evidence_for: Identifier | None = Field(
        None, description="On a file question: the scored question its files back")

    def allowed_values(self) -> list[str]:
        if self.type == QuestionType.yes_no:
            return ["yes", "no", "na"] if self.allow_na else ["yes", "no"]
        return [o.value for o in self.options]

    def option_list(self) -> list[Option]:
        if self.type == QuestionType.yes_no:
            return [Option(value=v, label=YES_NO_LABELS[v]) for v in self.allowed_values()]
        return list(self.options)

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        choice = self.type in (QuestionType.single_choice, QuestionType.multi_choice)
        if choice and len(self.options) < 2:
            raise ValueError("a choice question needs at least two options")
        if not choice and self.options:
            raise ValueError(f"a {self.type.value} question takes no options")
        values = [o.value for o in self.options]
        if len(values) != len(set(values)):
            raise ValueError("option values must be unique")
        if self.allow_na and self.type != QuestionType.yes_no:
            raise ValueError("allow_na is only for yes_no questions")
        if self.compliant:
            if self.type not in (QuestionType.yes_no, QuestionType.single_choice,
                                 QuestionType.multi_choice):
                raise ValueError("only yes_no and choice questions can name compliant answers")
            unknown = set(self.compliant) - set(self.allowed_values())
            if unknown:
                raise ValueError(f"compliant answers {sorted(unknown)} are not options")
        if self.weight and not self.compliant:
            raise ValueError("a weighted question must say which answers are compliant")
        if self.compliant and not self.weight:
            raise ValueError("a question with compliant answers needs a weight above 0")
        if self.weight and not self.evidences:
            raise ValueError("a weighted question must say what it evidences")
        if self.knockout is not None and self.type == QuestionType.number:
            if self.knockout.above is None or self.knockout.answers:
                raise ValueError("a number question's knock-out gives 'above', not answers")
        elif self.knockout is not None:
            if self.type not in (QuestionType.yes_no, QuestionType.single_choice,
                                 QuestionType.multi_choice):
                raise ValueError("only yes_no, choice and number questions can have knock-outs")
            if not self.knockout.answers or self.knockout.above is not None:
                raise ValueError("a choice question's knock-out names its answers")
            unknown = set(self.knockout.answers) - set(self.allowed_values())
            if unknown:
                raise ValueError(f"knock-out answers {sorted(unknown)} are not options")
            if set(self.knockout.answers) & set(self.compliant):
                raise ValueError("a knock-out answer can't also be compliant")
        if self.evidence_for is not None and self.type != QuestionType.file:
            raise ValueError("evidence_for is only for file questions")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        return self


class Section(Strict):
    id: Identifier
    title: Annotated[str, StringConstraints(min_length=3, max_length=200)]
    description: str = ""
    questions: list[Question] = Field(min_length=1)


class Definition(Strict):
    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{2,80}$")]
    version: Annotated[str, StringConstraints(pattern=r"^\d{4}\.\d+$")]
    title: Annotated[str, StringConstraints(min_length=3, max_length=200)]
    description: str = ""
    audience: str = ""
    sections: list[Section] = Field(min_length=1)

    @model_validator(mode="after")
    def _sound(self) -> Definition:
        seen: dict[str, Question] = {}
        section_ids = set()
        for section in self.sections:
            if section.id in section_ids:
                raise ValueError(f"section {section.id}: id used twice")
            section_ids.add(section.id)
            for question in section.questions:
                if question.id in seen:
                    raise ValueError(f"question {question.id}: id used twice")
                condition = question.show_if
                if condition is not None:
                    earlier = seen.get(condition.question)
                    if earlier is None:
                        raise ValueError(f"question {question.id}: show_if refers to "
                                         f"{condition.question!r}, which is not an earlier question")
                    if earlier.type not in (QuestionType.yes_no, QuestionType.single_choice,
                                            QuestionType.multi_choice):
                        raise ValueError(f"question {question.id}: show_if must refer to a "
                                         "yes/no or choice question")
                    bad = set(condition.any_of) - set(earlier.allowed_values())
                    if bad:
                        raise ValueError(f"question {question.id}: show_if values {sorted(bad)} "
                                         f"are not answers to {earlier.id}")
                if question.evidence_for is not None:
                    backed = seen.get(question.evidence_for)
                    if backed is None or not backed.weight:
                        raise ValueError(f"question {question.id}: evidence_for must name an "
                                         "earlier scored question")
                seen[question.id] = question
        return self

    # Convenience ------------------------------------------------------------------

    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions() if q.id == question_id), None)

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()
