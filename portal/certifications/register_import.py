"""Importing the DSPT organisation-search export and verifying suppliers by ODS code.

The toolkit has no API: a person downloads the CSV (Code, Organisation Name, Status, Date Of
Publication, Primary Sector, an ICB column) and uploads it. Bad rows are reported, never fatal;
importing a newer file updates rows and never duplicates them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field

from models.tables import Certification, DsptRegisterEntry, Supplier
from portal.certifications.rules import parse_dspt_status
from portal.core import audit, changes
from portal.core.bulk import portfolio_job
from portal.core.db import insert_many, write_transaction
from portal.core.security import now
from portal.core.text import text_problem

REQUIRED_COLUMNS = ("Code", "Organisation Name", "Status", "Date Of Publication")
BATCH = 500


@dataclass
class ImportReport:
    rows: int = 0
    stored: int = 0
    matched_suppliers: int = 0
    unmatched: int = 0
    errors: list[str] = field(default_factory=list)
    for_review: list[str] = field(default_factory=list)  # rows kept with a status we don't know

    def as_dict(self) -> dict:
        return {"rows": self.rows, "stored": self.stored,
                "matched_suppliers": self.matched_suppliers, "unmatched": self.unmatched,
                "errors": self.errors[:200], "error_count": len(self.errors),
                "for_review": self.for_review[:200], "for_review_count": len(self.for_review)}


def _norm(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").strip().lower().split())


def parse(text: str, report: ImportReport) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    headers = {_norm(h): h for h in (reader.fieldnames or [])}
    missing = [c for c in REQUIRED_COLUMNS if _norm(c) not in headers]
    if missing:
        report.errors.append("The file is missing the column(s) " + ", ".join(missing)
                             + "; is it the toolkit's organisation search export?")
        return []
    icb = next((headers[h] for h in headers if "icb" in h or "integrated care" in h), None)
    sector = headers.get(_norm("Primary Sector"))
    parsed: dict[str, dict] = {}
    for line, row in enumerate(reader, start=2):
        report.rows += 1
        code = (row.get(headers[_norm("Code")]) or "").strip().upper()
        status = (row.get(headers[_norm("Status")]) or "").strip()
        raw_date = (row.get(headers[_norm("Date Of Publication")]) or "").strip()
        if not code or not (code.isascii() and code.isalnum()) or len(code) > 10:
            report.errors.append(f"line {line}: the Code {code!r} is not an ODS code")
            continue
        if parse_dspt_status(status).level == "unknown":
            # kept (a new wording on the register must not silently drop an organisation),
            # and reported for a person to review; it satisfies nothing until understood
            report.for_review.append(f"line {line}: {code} has the Status {status!r}, which is "
                                     "not a DSPT status the portal knows; kept for review")
        published = None
        if raw_date:
            try:
                published = dt.datetime.strptime(raw_date, "%d/%m/%Y").date()
            except ValueError:
                report.errors.append(f"line {line}: the date {raw_date!r} is not dd/mm/yyyy")
                continue
        texts = [row.get(headers[_norm("Organisation Name")]), row.get(sector) if sector else "",
                 row.get(icb) if icb else ""]
        if any(text_problem(t or "", single_line=True) for t in texts):
            report.errors.append(f"line {line}: a name holds characters that can't be printed "
                                 "(control characters or line breaks)")
            continue
        previous = parsed.get(code)
        if previous and previous["published_on"] and published and published < previous["published_on"]:
            continue  # keep the newest row for a code
        parsed[code] = {"ods_code": code, "organisation_name": (row.get(
            headers[_norm("Organisation Name")]) or "").strip()[:300], "status": status[:100],
            "published_on": published, "primary_sector": (row.get(sector) or "").strip()[:200]
            if sector else "", "icb": (row.get(icb) or "").strip()[:200] if icb else ""}
    return list(parsed.values())


@portfolio_job
async def import_dspt(text: str, *, progress=None) -> ImportReport:
    report = ImportReport()
    rows = parse(text, report)
    if not rows:
        return report
    stamp = now()
    async with write_transaction():
        for start in range(0, len(rows), BATCH):
            chunk = rows[start:start + BATCH]
            await insert_many(DsptRegisterEntry, [{**r, "imported_at": stamp} for r in chunk],
                              conflict=DsptRegisterEntry.ods_code,
                              update=[DsptRegisterEntry.organisation_name, DsptRegisterEntry.status,
                                      DsptRegisterEntry.published_on,
                                      DsptRegisterEntry.primary_sector, DsptRegisterEntry.icb,
                                      DsptRegisterEntry.imported_at])
            report.stored += len(chunk)
            if progress:
                progress(report.stored, len(rows))
        by_code = {r["ods_code"]: r for r in rows}
        suppliers = await Supplier.select(Supplier.id, Supplier.ods_code).where(
            (Supplier.ods_code != "") & Supplier.archived_at.is_null())
        matched = [s for s in suppliers if s["ods_code"].upper() in by_code]
        existing = {}
        if matched:
            for start in range(0, len(matched), BATCH):
                ids = [s["id"] for s in matched[start:start + BATCH]]
                for cert in await Certification.select(Certification.id, Certification.supplier).where(
                        Certification.supplier.is_in(ids) & (Certification.scheme == "dspt")
                        & (Certification.verification == "register_verified")
                        & Certification.archived_at.is_null()):
                    existing[cert["supplier"]] = cert["id"]
        # Grouped writes: one UPDATE per distinct (status, date), one bulk INSERT for the rest.
        updates: dict[tuple, list[int]] = defaultdict(list)
        inserts = []
        note = f"From the DSPT register import of {stamp:%d %B %Y}."
        for s in matched:
            row = by_code[s["ods_code"].upper()]
            if s["id"] in existing:
                updates[(row["status"], row["published_on"], row["ods_code"])].append(existing[s["id"]])
            else:
                inserts.append({
                    "supplier": s["id"], "scheme": "dspt", "status": row["status"],
                    "issued_on": row["published_on"], "ods_code": row["ods_code"],
                    "created_at": stamp, "updated_at": stamp,
                    "verification": "register_verified", "notes": note})
        for (status, published, ods_code), cert_ids in updates.items():
            for start in range(0, len(cert_ids), BATCH):
                await Certification.update({
                    Certification.status: status, Certification.issued_on: published,
                    Certification.ods_code: ods_code, Certification.updated_at: stamp,
                    Certification.notes: note}).where(
                    Certification.id.is_in(cert_ids[start:start + BATCH]))
        await insert_many(Certification, inserts)
        report.matched_suppliers = len(matched)
        report.unmatched = len(rows) - len(matched)
        for s in matched:  # their DSPT certification moved: rescored before this commits
            changes.touch(s["id"], action="register.dspt_imported")
        await audit.record("register.dspt_imported", target_type="dspt_register", target_id="",
                           after=report.as_dict())
    return report
