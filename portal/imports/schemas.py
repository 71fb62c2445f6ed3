"""What an import reports back."""

from __future__ import annotations

from pydantic import BaseModel, Field


class _Report(BaseModel):
    rows: int = Field(description="Data rows read")
    errors: list[str] = Field(description="Rows that were not imported and why (first 200)")
    error_count: int


class DsptImportOut(_Report):
    stored: int = Field(description="Register rows stored or updated")
    matched_suppliers: int = Field(description="Suppliers whose ODS code is on the register")
    unmatched: int
    for_review: list[str] = Field(default_factory=list,
                                  description="Rows kept whose Status the portal doesn't know")
    for_review_count: int = 0


class SupplierImportOut(_Report):
    created: int
    updated: int
    unchanged: int
    contacts_added: int
    dry_run: bool
