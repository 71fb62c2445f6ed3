"""The clause library (clauses.yaml): each key's title, legal basis, recognition and model clause.

Which clauses a contract requires is decided in one place, portal/contracts/rules.py, from the
``required_when`` expressions here and the named conditions in requirements.yaml.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

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
    # added for issue 12 (Article 28(2) changes, own purposes, supplier access, testing, exit for breach)
    "art28.sub_processor_changes", "data.no_own_purposes", "access.remote_mfa",
    "security.vulnerability_testing", "termination.data_breach",
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
    legal_reference: str = Field(min_length=1)  # short, for a person reading a report
    required_when: str = ""  # an expression (rules.py); empty: recommended, never required
    applies_when: str = ""  # an expression (rules.py); empty: the clause always applies
    does_not_apply: str = ""  # why, in words, when applies_when is false
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


@lru_cache(maxsize=512)  # the library is fixed per process; asked per clause per contract
def clause_title(key: str) -> str:
    """The clause's title as a person reads it ("Audit and information"). Never raises and
    never shows a raw key: a key the library doesn't know reads as its last part in words."""
    clause = library().get(key)
    return clause.title if clause else key.rsplit(".", 1)[-1].replace("_", " ").capitalize()


@lru_cache(maxsize=512)
def legal_reference(key: str) -> str:
    """The short legal reference ("UK GDPR Article 28(3)(h)"); empty for an unknown key."""
    clause = library().get(key)
    return clause.legal_reference if clause else ""


@lru_cache(maxsize=512)
def clause_label(key: str) -> str:
    """Title with its reference, for action plans: "Audit and information (UK GDPR Article 28(3)(h))"."""
    reference = legal_reference(key)
    return f"{clause_title(key)} ({reference})" if reference else clause_title(key)
