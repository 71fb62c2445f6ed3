"""The clause checklist as the API shows it."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class ClauseOut(BaseModel):
    key: str = Field(description="Clause key, e.g. art28.documented_instructions")
    title: str
    description: str
    legal_basis: str
    legal_reference: str = Field(description="Short legal reference, e.g. 'UK GDPR Article 28(3)(h)'")
    required: bool = Field(description="Required for this contract (else recommended)")
    required_because: str = Field(description="Why it is required (the rule's conditions that "
                                  "apply); empty when recommended")
    applies: bool = Field(True, description="False when the clause is not for this kind of "
                          "contract at all (Article 28 terms when the supplier is not our "
                          "processor); neither required nor recommended then")
    does_not_apply: str = Field("", description="Why it does not apply, in words")
    status: str = Field(description="present, partial, missing or not_applicable")
    source: str | None = Field(description="scan or manual; null if never found or set")
    location: str = Field(description="Where in the document, e.g. 'clause 4.2' or 'page 3'")
    excerpt: str = Field(description="The sentence(s) that carry it")
    note: str = Field(description="Why partial, or the reviewer's note")
    hours: int | None = Field(None, description="breach.notification only: the window a "
                              "reviewer recorded by hand, in hours (0: immediately)")
    version: int | None
    updated_at: dt.datetime | None


class ChecklistOut(BaseModel):
    contract_id: int
    supplier_id: int
    agreement: str | None = Field(description="The data protection agreement the contract needs: "
                                  "article_28 (processor), data_sharing_agreement (controller to "
                                  "controller), article_26_arrangement (joint controllers); null "
                                  "when no personal data passes")
    breach_notification_hours: int | None = Field(
        description="The supplier's window to tell us of a breach, in hours (0: immediately)")
    breach_notification_immediate: bool
    scanned_at: dt.datetime | None
    required_gaps: list[str] = Field(description="Required clauses missing or partial")
    clauses: list[ClauseOut]


class ScannedDocumentOut(ChecklistOut):
    document_id: int
    evidence_id: int
