"""Onboarding suppliers from a spreadsheet (CSV), idempotent on supplier_key.

Columns: supplier_key (required), name (required), legal_name, companies_house_number,
ico_registration_number, ods_code, website, handles_personal_data, handles_patient_data,
affects_care (true/false, yes/no, 1/0), contact_name, contact_email, contact_role.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from pydantic import ValidationError

from models.tables import Supplier, SupplierContact
from portal.core.errors import PortalError
from portal.suppliers import service
from portal.suppliers.schemas import ContactCreate, SupplierCreate, SupplierPatch

COLUMNS = ("supplier_key", "name", "legal_name", "companies_house_number",
           "ico_registration_number", "ods_code", "website", "handles_personal_data",
           "handles_patient_data", "affects_care", "contact_name", "contact_email", "contact_role")
FLAGS = ("handles_personal_data", "handles_patient_data", "affects_care")
TRUE, FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0", ""}


@dataclass
class SupplierImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    contacts_added: int = 0
    dry_run: bool = False
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "contacts_added": self.contacts_added,
                "dry_run": self.dry_run, "errors": self.errors[:200],
                "error_count": len(self.errors)}


def _flag(value: str | None, column: str) -> bool:
    text = (value or "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"{column} must be true or false, not {value!r}")


def _describe(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: "
                     f"{e['msg'].removeprefix('Value error, ')}" for e in error.errors())


async def import_suppliers(text: str, *, dry_run: bool = False, progress=None) -> SupplierImportReport:
    report = SupplierImportReport(dry_run=dry_run)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("supplier_key", "name") if c not in headers]
    if missing:
        report.errors.append(f"The file needs the column(s) {', '.join(missing)}. "
                             f"Known columns: {', '.join(COLUMNS)}.")
        return report
    unknown = [h for h in headers if h not in COLUMNS]
    if unknown:
        report.errors.append(f"Ignored unknown column(s): {', '.join(unknown)}.")
    seen: set[str] = set()
    rows = list(reader)
    for line, raw in enumerate(rows, start=2):
        report.rows += 1
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        key = row.get("supplier_key", "")
        if key in seen:
            report.errors.append(f"line {line}: supplier_key {key!r} appears twice in the file")
            continue
        seen.add(key)
        try:
            values = {c: row.get(c, "") for c in COLUMNS[:7]}
            values.update({f: _flag(row.get(f), f) for f in FLAGS})
            data = SupplierCreate.model_validate(values)
            contact = None
            if row.get("contact_email") or row.get("contact_name"):
                contact = ContactCreate(name=row.get("contact_name") or row.get("contact_email"),
                                        email=row.get("contact_email", ""),
                                        role=row.get("contact_role", ""))
        except ValidationError as error:
            report.errors.append(f"line {line}: {_describe(error)}")
            continue
        except ValueError as error:
            report.errors.append(f"line {line}: {error}")
            continue
        existing = await Supplier.select().where(Supplier.supplier_key == data.supplier_key).first()
        try:
            if existing is None:
                report.created += 1
                if not dry_run:
                    existing = await service.create_supplier(data)
            else:
                changes = {k: v for k, v in data.model_dump().items()
                           if k != "notes" and existing.get(k) != v}
                if changes:
                    report.updated += 1
                    if not dry_run:
                        existing = await service.update_supplier(
                            existing["id"], SupplierPatch.model_validate(changes))
                else:
                    report.unchanged += 1
            if contact is not None:
                known = existing is not None and await SupplierContact.exists().where(
                    (SupplierContact.supplier == existing["id"])
                    & (SupplierContact.email == contact.email))
                if not known:
                    report.contacts_added += 1
                    if not dry_run:
                        await service.create_contact(existing["id"], contact)
        except PortalError as error:
            report.errors.append(f"line {line}: {error.message}")
        if progress and report.rows % 250 == 0:
            progress(report.rows, len(rows))
    if progress:
        progress(report.rows, len(rows))
    return report
