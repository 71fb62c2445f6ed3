"""The clause library (clauses.yaml) and which clauses a contract needs (domain.md §3)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

LIBRARY_FILE = Path(__file__).parent / "clauses.yaml"
KEYS = (
    "art28.subject_matter", "art28.documented_instructions", "art28.infringing_instruction_notice",
    "art28.confidentiality", "art28.security_measures", "art28.sub_processors",
    "art28.data_subject_rights", "art28.compliance_assistance", "art28.deletion_or_return",
    "art28.audit_information", "breach.notification", "transfers.international",
    "nhs.dspt_compliance", "nhs.ndg_standards", "nhs.cyber_essentials", "nhs.security_alerts",
    "staff.training", "continuity.bcdr", "exit.transition", "liability.insurance",
    "disputes.resolution",
)


class Recognition(BaseModel):
    """How one clause key is recognised (see the comment at the top of clauses.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    keywords: list[str] = Field(min_length=1)
    topic: list[str] = Field(min_length=1)
    also: list[str] = Field(default_factory=list)
    complete: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    by_reference: list[str] = Field(default_factory=list)
    section_hints: list[str] = Field(default_factory=list)
    section_min: int = 3
    reference_must_be_included: bool = False
    heading_counts: bool = False
    partial_reason: str = ""
    needs_obligation: bool = True
    min_hints: int = 1
    _compiled: dict[str, list[re.Pattern]] = PrivateAttr(default_factory=dict)

    @field_validator("topic", "also", "complete", "exclude", "by_reference", "section_hints")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            re.compile(pattern)
        return patterns

    def model_post_init(self, context: object) -> None:
        # Patterns are lower case and matched against lower-cased text (faster than IGNORECASE);
        for name in ("topic", "also", "complete", "exclude", "by_reference", "section_hints"):
            self._compiled[name] = [re.compile(p) for p in getattr(self, name)]
        self._compiled["section_min"] = self.section_min  # type: ignore[assignment]

    def compiled(self) -> dict[str, list[re.Pattern]]:
        """The compiled patterns by field name."""
        return self._compiled


class Clause(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    title: str
    description: str
    legal_basis: str
    required_when: Literal["processor", "patient_or_care", "recommended"]
    recognition: Recognition
    model_clause: str


@lru_cache(maxsize=1)
def library() -> dict[str, Clause]:
    raw = yaml.safe_load(LIBRARY_FILE.read_text(encoding="utf-8"))
    clauses = [Clause.model_validate(item) for item in raw]
    found = [c.key for c in clauses]
    if tuple(found) != KEYS:
        raise ValueError(f"clause library keys differ from domain.md: {found}")
    return {c.key: c for c in clauses}


def required_keys(*, data_role: str, personal_data: bool, patient_data: bool,
                  affects_care: bool = False) -> list[str]:
    """Clauses a contract must carry; the rest are recommended."""
    return list(_required(data_role, bool(personal_data), bool(patient_data), bool(affects_care)))


@lru_cache(maxsize=64)  # a few combinations, asked for every contract in every rescoring
def _required(data_role: str, personal_data: bool, patient_data: bool,
              affects_care: bool) -> tuple[str, ...]:
    processor = personal_data and data_role == "processor"
    return tuple(
        clause.key for clause in library().values()
        if (clause.required_when == "processor" and processor)
        or (clause.required_when == "patient_or_care" and (patient_data or affects_care)))
