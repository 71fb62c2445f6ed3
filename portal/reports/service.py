"""Reports: the DSPT evidence pack (Word), one supplier's assurance report (Word), the register (CSV).

Every figure comes from the records; the pack ends with a SHA-256 manifest of the records it
summarises so an auditor can tell whether the data changed since.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from models.tables import (
    Assessment,
    Certification,
    Contract,
    ProductService,
    Risk,
    Supplier,
    SupplierContact,
    SupplierScore,
)
from portal.contracts.library import library
from portal.contracts.rules import required_for
from portal.core.downloads import csv_lines, csv_text
from portal.core.errors import NotFound
from portal.core.word import new_document, stamp, table, to_bytes
from portal.reports import frameworks, snapshot
from portal.reports.pack import DATA_ROLES

SCHEME_LABELS = {"dspt": "DSPT", "cyber_essentials": "Cyber Essentials",
                 "cyber_essentials_plus": "Cyber Essentials Plus", "iso27001": "ISO/IEC 27001",
                 "other": "Other"}


def toolkit_items() -> dict[str, Any]:
    """The toolkit years the portal knows (frameworks.yaml), each with what it answers."""
    return frameworks.load()["years"]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _date(value: Any) -> str:
    return value.strftime("%d %b %Y") if value else "–"


async def portfolio(as_at: dt.date | None = None) -> dict[str, Any]:
    """Every record the reports summarise (today's, or as at the end of a day): the snapshot's."""
    return await snapshot.portfolio(as_at)


def manifest(data: dict[str, Any]) -> list[tuple[str, int, str]]:
    """SHA-256 of each record type in a portfolio (today's or as at a date: the same rows
    hash the same), canonical JSON ordered as the portfolio lists them."""
    rows = []
    for name in sorted(data):
        if name in snapshot.ABOUT:
            continue  # what the portfolio says about itself, not records
        records = data[name]
        records = records if isinstance(records, list) else [records] if records else []
        payload = json.dumps(records, sort_keys=True, default=str).encode()
        rows.append((name, len(records), hashlib.sha256(payload).hexdigest()))
    return rows


def _index(data: dict[str, Any], today: dt.date) -> dict[str, Any]:
    by = defaultdict(lambda: defaultdict(list))
    for key in ("contacts", "contracts", "certifications", "assessments", "risks"):
        for row in data[key]:
            by[key][row["supplier"]].append(row)
    products = defaultdict(list)
    for row in data["products"]:
        products[row["supplier"]].append(row["name"])
    clauses = defaultdict(dict)
    for row in data["clauses"]:
        clauses[row["contract"]][row["key"]] = row["status"]
    scores = {r["supplier"]: r for r in data["scores"]}
    active = {s["id"]: [c for c in by["contracts"][s["id"]]
                        if c["end_date"] is None or c["end_date"] >= today]
              for s in data["suppliers"]}
    return {"by": by, "products": products, "clauses": clauses, "scores": scores, "active": active}


def _contract_gaps(contract: dict, clauses: dict[str, str], supplier: dict) -> tuple[tuple[str, ...], list[str]]:
    required = required_for(contract, supplier)
    gaps = [k for k in required if clauses.get(k, "missing") in ("missing", "partial")]
    return required, gaps


def _criterion(score: dict | None, key: str) -> dict | None:
    if not score:
        return None
    breakdown = _json(score["breakdown"])
    return next((c for c in breakdown.get("criteria", []) if c["key"] == key), None)


REGISTER_HEADER = ["supplier_id", "name", "legal_name", "ods_code", "handles_personal_data",
                   "handles_patient_data", "affects_care", "products_services", "contacts",
                   "contracts", "earliest_start", "latest_end", "tier", "rating", "score"]
REGISTER_CHUNK = 1000


async def _register_chunk(suppliers: list[dict], today: dt.date) -> list[list[Any]]:
    """The register rows for one chunk of suppliers: four set-based reads for the chunk."""
    ids = [s["id"] for s in suppliers]
    contacts = await SupplierContact.select(
        SupplierContact.supplier, SupplierContact.name, SupplierContact.email).where(
        SupplierContact.archived_at.is_null() & SupplierContact.supplier.is_in(ids)).order_by(
        SupplierContact.id)
    contracts = await Contract.select(
        Contract.supplier, Contract.title, Contract.start_date, Contract.end_date).where(
        Contract.archived_at.is_null() & Contract.supplier.is_in(ids)).order_by(Contract.id)
    products = await ProductService.select(ProductService.supplier, ProductService.name).where(
        ProductService.supplier.is_in(ids)).order_by(ProductService.id)
    scores = {r["supplier"]: r for r in await SupplierScore.select(
        SupplierScore.supplier, SupplierScore.tier, SupplierScore.rating, SupplierScore.score).where(
        SupplierScore.supplier.is_in(ids))}
    by: dict[str, dict[int, list]] = {"contacts": defaultdict(list), "contracts": defaultdict(list),
                                      "products": defaultdict(list)}
    for key, found in (("contacts", contacts), ("contracts", contracts), ("products", products)):
        for row in found:
            by[key][row["supplier"]].append(row)
    rows = []
    for s in suppliers:
        active = [c for c in by["contracts"][s["id"]] if c["end_date"] is None or c["end_date"] >= today]
        score = scores.get(s["id"], {})
        starts = [c["start_date"] for c in active if c["start_date"]]
        ends = [c["end_date"] for c in active if c["end_date"]]
        rows.append([
            s["id"], s["name"], s["legal_name"], s["ods_code"], s["handles_personal_data"],
            s["handles_patient_data"], s["affects_care"],
            "; ".join(dict.fromkeys(p["name"] for p in by["products"][s["id"]])),
            "; ".join(f"{c['name']} <{c['email']}>" for c in by["contacts"][s["id"]]),
            "; ".join(c["title"] for c in active),
            min(starts).isoformat() if starts else "", max(ends).isoformat() if ends else "",
            score.get("tier", ""), score.get("rating", ""), score.get("score", "")])
    return rows


async def register_csv_stream(*, today: dt.date | None = None,
                              chunk: int | None = None) -> AsyncIterator[str]:
    """The register as CSV text, chunk by chunk: suppliers by name in keyset pages (name, id),
    each page with its contacts, contracts, products and scores read for the page alone, so
    memory and statements per page don't grow with the register."""
    today = today or dt.date.today()
    size = chunk or REGISTER_CHUNK
    yield csv_text(REGISTER_HEADER, [])
    after: tuple[str, int] | None = None
    while True:
        where = Supplier.archived_at.is_null()
        if after is not None:
            where = where & ((Supplier.name > after[0])
                             | ((Supplier.name == after[0]) & (Supplier.id > after[1])))
        page = await Supplier.select(
            Supplier.id, Supplier.name, Supplier.legal_name, Supplier.ods_code,
            Supplier.handles_personal_data, Supplier.handles_patient_data,
            Supplier.affects_care).where(where).order_by(Supplier.name, Supplier.id).limit(size)
        if not page:
            return
        yield csv_lines(await _register_chunk(page, today))
        if len(page) < size:
            return
        after = (page[-1]["name"], page[-1]["id"])


async def register_csv(*, today: dt.date | None = None) -> str:
    """The whole register as one CSV text (the CLI's and the tests' form of the stream)."""
    return "".join([part async for part in register_csv_stream(today=today)])


async def supplier_report(supplier_id: int, *, today: dt.date | None = None) -> tuple[str, bytes]:
    from portal.certifications.service import with_validity
    from portal.contracts.service import checklist
    from portal.scoring.service import disclosures, get_score

    today = today or dt.date.today()
    supplier = await Supplier.select().where(Supplier.id == supplier_id).first()
    if supplier is None:
        raise NotFound(f"No supplier with id {supplier_id}.")
    score = await get_score(supplier_id)
    contacts = await SupplierContact.select().where(SupplierContact.supplier == supplier_id)
    certs = await Certification.select().where((Certification.supplier == supplier_id)
                                               & Certification.archived_at.is_null())
    contracts = await Contract.select().where((Contract.supplier == supplier_id)
                                              & Contract.archived_at.is_null())
    assessments = await Assessment.select(
        Assessment.status, Assessment.sent_at, Assessment.submitted_at, Assessment.decided_at,
        Assessment.definition.title.as_alias("questionnaire")).where(Assessment.supplier == supplier_id)
    risks = await Risk.select().where(Risk.supplier == supplier_id)

    document = new_document(f"Supplier assurance report: {supplier['name']}")
    stamp(document)
    document.add_heading(f"Supplier assurance report: {supplier['name']}", level=0)
    document.add_paragraph(f"{supplier['legal_name'] or supplier['name']}. Tier {score['tier']}; "
                           f"score {score['score']} ({score['rating']}).")
    for reason in score.get("tier_reasons", []):
        document.add_paragraph(reason)
    for gate in score["gates"]:
        document.add_paragraph().add_run(gate).bold = True
    told = await disclosures(supplier_id)
    if told:
        document.add_heading("What the supplier told us", level=1)
    for d in told:
        document.add_heading(f"{d['title']} (accepted {_date(d['decided_on'])})", level=2)
        document.add_paragraph(f"{d['compliant']} of {d['scorable']} compliant, {d['evidenced']} "
                               f"evidenced, {d['checked']} checked by a reviewer.")
        if d["facts"]:
            table(document, ["About", "Answer"], [(f["label"], f["answer"]) for f in d["facts"]])
        if d["failing"]:
            document.add_paragraph("Answers that do not meet the requirement:")
            table(document, ["Question", "Answer"], [(f["question"], f["answer"])
                                                     for f in d["failing"]])
    document.add_heading("Score against standard 10", level=1)
    table(document, ["Criterion", "Points", "Why", "To improve", "Evidences"], [
        (c["title"], f"{c['points']:g} / {c['max_points']}", " ".join(c["reasons"]),
         " ".join(c["fixes"]) or "–", ", ".join(c["evidences"])) for c in score["criteria"]],
          widths=(2.4, 1.8, 4.6, 3.8, 2.6))
    document.add_heading("Contacts", level=1)
    table(document, ["Name", "Email", "Role"], [(c["name"], c["email"], c["role"]) for c in contacts],
          widths=(4.2, 6.5, 4.5))
    document.add_heading("Certifications", level=1)
    rows = []
    for c in await with_validity(certs, today=today):
        label = c["scheme_name"] if c["scheme"] == "other" and c["scheme_name"] else \
            SCHEME_LABELS.get(c["scheme"], c["scheme"])
        note = " ".join([c["reason"] or "", *c["flags"]]).strip()
        rows.append((label, c["status"] or c["certificate_number"], _date(c["expires_on"]),
                     "counts" if c["satisfies"] else "does not count",
                     c["verification"].replace("_", " "), note))
    table(document, ["Scheme", "Status or number", "Expires", "Validity", "Verification", "Note"],
          rows, widths=(2.7, 2.9, 2.2, 2.0, 2.4, 3.0))
    clause_titles = {k: c.title for k, c in library().items()}
    for contract in contracts:
        document.add_heading(f"Contract: {contract['title']}", level=1)
        role = DATA_ROLES.get(contract["data_role"] or "none", "Not recorded")
        document.add_paragraph(f"{_date(contract['start_date'])} to {_date(contract['end_date'])}; "
                               f"data role: {role.lower()}.")
        check = await checklist(contract["id"])
        table(document, ["Clause", "Required", "Status", "Where"], [
            (clause_titles[c["key"]],
             "yes" if c["required"] else "recommended" if c["applies"] else "does not apply",
             # a clause that doesn't apply is not "missing": its status only shows when found
             c["status"].replace("_", " ") if c["applies"] or c["status"] == "present" else "–",
             c["location"] or "–") for c in check["clauses"]],
              widths=(4.6, 3.3, 2.3, 5.0))
        skipped = {c["does_not_apply"] for c in check["clauses"] if not c["applies"]}
        for reason in sorted(skipped):
            document.add_paragraph(f"Does not apply: {reason}.")
    document.add_heading("Assessments", level=1)
    table(document, ["Questionnaire", "Status", "Sent", "Submitted", "Decided"], [
        (a["questionnaire"], a["status"].replace("_", " "), _date(a["sent_at"]),
         _date(a["submitted_at"]), _date(a["decided_at"])) for a in assessments])
    document.add_heading("Risks and disputes", level=1)
    table(document, ["Kind", "Title", "Severity", "Owner", "Status", "Accepted"], [
        (r["kind"], r["title"], r["severity"], r["owner"], r["status"],
         f"{r['accepted_by']} ({r['accepted_role']}) until {_date(r['accepted_until'])}: "
         f"{r['accepted_reason']}" if r["accepted_by"] else "–") for r in risks])
    safe = "".join(ch if ch.isalnum() else "-" for ch in supplier["name"]).strip("-")[:60]
    return f"supplier-assurance-{safe}-{today:%Y%m%d}.docx", to_bytes(document)
