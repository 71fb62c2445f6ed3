"""Reports: the DSPT evidence pack (Word), one supplier's assurance report (Word), the register (CSV).

Every figure comes from the records; the pack ends with a SHA-256 manifest of the records it
summarises so an auditor can tell whether the data changed since.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from models.tables import (
    Assessment,
    Certification,
    Contract,
    ContractClause,
    Organisation,
    ProductService,
    Risk,
    Supplier,
    SupplierContact,
    SupplierScore,
)
from portal.certifications.rules import validity
from portal.contracts.library import library
from portal.contracts.rules import required_for
from portal.core.downloads import csv_text
from portal.core.errors import InvalidInput, NotFound
from portal.core.word import new_document, stamp, table, to_bytes
from questionnaires.states import State

TOOLKIT_FILE = Path(__file__).parent / "toolkit_items.yaml"
SCHEME_LABELS = {"dspt": "DSPT", "cyber_essentials": "Cyber Essentials",
                 "cyber_essentials_plus": "Cyber Essentials Plus", "iso27001": "ISO/IEC 27001",
                 "other": "Other"}


@lru_cache(maxsize=1)
def toolkit_items() -> dict[str, Any]:
    return yaml.safe_load(TOOLKIT_FILE.read_text(encoding="utf-8"))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _date(value: Any) -> str:
    return value.strftime("%d %b %Y") if value else "–"


async def _portfolio() -> dict[str, Any]:
    """Every record the reports summarise, loaded in a fixed number of queries."""
    suppliers = await Supplier.select().where(Supplier.archived_at.is_null()).order_by(Supplier.name)
    contacts = await SupplierContact.select().where(SupplierContact.archived_at.is_null()) \
        .order_by(SupplierContact.id)
    contracts = await Contract.select().where(Contract.archived_at.is_null()).order_by(Contract.id)
    products = await ProductService.select(ProductService.supplier, ProductService.contract,
                                           ProductService.name).order_by(ProductService.id)
    clauses = await ContractClause.select(ContractClause.contract, ContractClause.key,
                                          ContractClause.status).order_by(ContractClause.id)
    certifications = await Certification.select().where(Certification.archived_at.is_null()) \
        .order_by(Certification.id)
    assessments = await Assessment.select(
        Assessment.id, Assessment.supplier, Assessment.status, Assessment.sent_at,
        Assessment.submitted_at, Assessment.decided_at, Assessment.due_date,
        Assessment.definition.title.as_alias("questionnaire")).order_by(Assessment.id)
    risks = await Risk.select().order_by(Risk.id)
    scores = await SupplierScore.select().order_by(SupplierScore.supplier)
    return {"suppliers": suppliers, "contacts": contacts, "contracts": contracts,
            "products": products, "clauses": clauses, "certifications": certifications,
            "assessments": assessments, "risks": risks, "scores": scores}


def manifest(data: dict[str, list[dict]]) -> list[tuple[str, int, str]]:
    rows = []
    for name in sorted(data):
        payload = json.dumps(data[name], sort_keys=True, default=str).encode()
        rows.append((name, len(data[name]), hashlib.sha256(payload).hexdigest()))
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


async def register_csv(*, today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    data = await _portfolio()
    idx = _index(data, today)
    rows = []
    header = (["supplier_id", "name", "legal_name", "ods_code", "handles_personal_data",
                     "handles_patient_data", "affects_care", "products_services", "contacts",
                     "contracts", "earliest_start", "latest_end", "tier", "rating", "score"])
    for s in data["suppliers"]:
        contracts = idx["active"][s["id"]]
        score = idx["scores"].get(s["id"], {})
        starts = [c["start_date"] for c in contracts if c["start_date"]]
        ends = [c["end_date"] for c in contracts if c["end_date"]]
        rows.append([
            s["id"], s["name"], s["legal_name"], s["ods_code"], s["handles_personal_data"],
            s["handles_patient_data"], s["affects_care"],
            "; ".join(dict.fromkeys(idx["products"][s["id"]])),
            "; ".join(f"{c['name']} <{c['email']}>" for c in idx["by"]["contacts"][s["id"]]),
            "; ".join(c["title"] for c in contracts),
            min(starts).isoformat() if starts else "", max(ends).isoformat() if ends else "",
            score.get("tier", ""), score.get("rating", ""), score.get("score", "")])
    return csv_text(header, rows)


async def evidence_pack(*, toolkit: str, today: dt.date | None = None) -> tuple[str, bytes]:
    items = toolkit_items()
    if toolkit not in items:
        raise InvalidInput(f"Unknown toolkit year {toolkit!r}; choose one of {', '.join(items)}.")
    today = today or dt.date.today()
    data = await _portfolio()
    idx = _index(data, today)
    organisation = await Organisation.select().first() or {
        "name": "Your organisation", "dspt_category": 1, "ig_lead_name": "", "ods_code": ""}
    category = organisation["dspt_category"]
    personal = [s for s in data["suppliers"] if s["handles_personal_data"]
                or any(c["personal_data"] for c in idx["active"][s["id"]])]
    it_suppliers = personal  # every supplier handling personal data is held to 10.2.1 here
    owner = organisation.get("ig_lead_name") or "IG lead"
    target = today + dt.timedelta(days=90)

    # Measures ---------------------------------------------------------------------------
    known_ok = [s for s in personal if (_criterion(idx["scores"].get(s["id"]), "known") or {}).get("met")]
    cert_rows, cert_ok = [], set()
    for s in personal:
        for c in idx["by"]["certifications"][s["id"]]:
            cleared = c.get("flags_cleared") or "[]"
            cleared = json.loads(cleared) if isinstance(cleared, str) else cleared
            v = validity(scheme=c["scheme"], today=today, status=c["status"],
                         issued_on=c["issued_on"], expires_on=c["expires_on"], edition=c["edition"],
                         legal_entity=c["legal_entity"], scope=c["scope"],
                         supplier_legal_name=s["legal_name"] or s["name"],
                         accreditation_body=c["accreditation_body"], audited_on=c["audited_on"],
                         cleared=tuple(i["flag"] for i in cleared if isinstance(i, dict)))
            cert_rows.append((s["name"], SCHEME_LABELS.get(c["scheme"], c["scheme"]),
                              c["status"] or c["certificate_number"] or "–", _date(v.expires_on),
                              "current" if v.satisfies else ("partial" if v.partial else "not current"),
                              c["verification"].replace("_", " ")))
        if (_criterion(idx["scores"].get(s["id"]), "certified") or {}).get("met"):
            cert_ok.add(s["id"])
    clause_rows, contracts_ok, contracts_needing = [], 0, 0
    actions: list[tuple[str, str, str, str, str]] = []
    for s in data["suppliers"]:
        for c in idx["active"][s["id"]]:
            required, gaps = _contract_gaps(c, idx["clauses"].get(c["id"], {}), s)
            if not required:
                continue
            contracts_needing += 1
            contracts_ok += not gaps
            clause_rows.append((s["name"], c["title"], len(required), len(required) - len(gaps),
                                ", ".join(gaps) or "none"))
            if gaps:
                actions.append((s["name"], f"'{c['title']}' lacks: {', '.join(gaps)}",
                                "Agree the missing-clause schedule as a contract variation",
                                owner, target.isoformat()))
    for s in personal:
        score = idx["scores"].get(s["id"])
        if not score:
            continue
        for criterion in _json(score["breakdown"]).get("criteria", []):
            if criterion["met"] or criterion["key"] == "contracted":
                continue
            for fix in criterion.get("fixes", [])[:2]:
                actions.append((s["name"], f"{criterion['title']}: {criterion['reasons'][0]}",
                                fix, owner, target.isoformat()))
    window = today - dt.timedelta(days=365)
    dd_ok = [s for s in personal if any(
        a["status"] == State.accepted and a["decided_at"] and a["decided_at"].date() >= window
        for a in idx["by"]["assessments"][s["id"]])]
    disputes = [r for r in data["risks"] if r["kind"] == "dispute"]
    disputes_ok = [r for r in disputes if r["data_security_risk"].strip()]

    def answer(criterion: str) -> tuple[str, str]:
        def share(done: int, total: int, what: str) -> tuple[str, str]:
            if total == 0:
                return "Yes", f"No {what} to assess."
            verdict = "Yes" if done == total else ("Partially" if done else "No")
            return verdict, f"{done} of {total} {what} ({done / total:.0%})."
        if criterion == "register":
            return share(len(known_ok), len(personal), "suppliers handling personal data are "
                         "recorded with products, contacts and contract dates")
        if criterion == "certification":
            return share(len(cert_ok), len(it_suppliers), "suppliers hold the certification "
                         "their tier needs")
        if criterion == "contracts":
            return share(contracts_ok, contracts_needing, "contracts carry every required clause")
        if criterion == "due_diligence":
            return share(len(dd_ok), len(personal), "suppliers have an accepted assessment in "
                         "the last 12 months")
        return share(len(disputes_ok), len(disputes), "disputes are recorded with their "
                     "data-security risk")

    # Document ---------------------------------------------------------------------------
    document = new_document(f"DSPT standard 10 evidence pack {toolkit}")
    stamp(document)
    document.add_heading("Data Security and Protection Toolkit: standard 10 evidence", level=0)
    document.add_paragraph(
        f"{organisation['name']}"
        + (f" (ODS {organisation['ods_code']})" if organisation.get("ods_code") else "")
        + f". Toolkit {toolkit}, organisation category {category}. Prepared from the supplier "
        f"assurance portal on {today:%d %B %Y}. Every figure traces to the records listed in the "
        "manifest at the end.")
    ratings = Counter(r["rating"] for r in data["scores"])
    document.add_heading("Summary", level=1)
    table(document, ["Measure", "Figure"], [
        ("Suppliers on the register", len(data["suppliers"])),
        ("Suppliers handling personal data", len(personal)),
        ("Green / amber / red", f"{ratings.get('green', 0)} / {ratings.get('amber', 0)} / "
                                f"{ratings.get('red', 0)}"),
        ("Contracts needing data protection terms", contracts_needing),
        ("Actions in the plan", len(actions)),
    ])
    document.add_heading("Standard 10: item by item", level=1)
    spec = items[toolkit]
    for item in spec["items"]:
        verdict, figure = answer(item["criterion"])
        document.add_heading(f"{item['ref']}: {verdict}", level=2)
        document.add_paragraph(item["text"])
        document.add_paragraph(figure)
    if category in spec.get("caf_aligned_categories", []):
        document.add_heading("CAF A4.a Supply chain", level=1)
        document.add_paragraph("NHS England expects category 1 organisations to reach at least "
                               "'partially achieved' for A4.a.")
        indicators = [
            ("The organisation knows what data its suppliers hold",
             len(known_ok), len(personal)),
            ("Relevant contracts carry security and data protection obligations",
             contracts_ok, contracts_needing),
            ("Supplier assurance (certification) is in place", len(cert_ok), len(personal)),
            ("Due diligence includes sub-processors and where data is held",
             len(dd_ok), len(personal)),
        ]
        table(document, ["Indicator", "Met", "Of", "View"], [
            (text, done, total, "achieved" if total == 0 or done == total else
             ("partially achieved" if done else "not achieved"))
            for text, done, total in indicators])
    document.add_heading("Register of suppliers handling personal data", level=1)
    table(document, ["Supplier", "Products and services", "Contacts", "Contract start",
                     "Contract end"], [
        (s["name"], "; ".join(dict.fromkeys(idx["products"][s["id"]])) or "–",
         "; ".join(f"{c['name']} ({c['email']})" for c in idx["by"]["contacts"][s["id"]]) or "–",
         _date(min((c["start_date"] for c in idx["active"][s["id"]] if c["start_date"]), default=None)),
         _date(max((c["end_date"] for c in idx["active"][s["id"]] if c["end_date"]), default=None)))
        for s in personal])
    document.add_heading("Certification coverage", level=1)
    table(document, ["Supplier", "Scheme", "Status or number", "Expires", "Validity",
                     "Verification"], cert_rows)
    document.add_heading("Clause coverage by contract", level=1)
    table(document, ["Supplier", "Contract", "Required", "Present", "Missing or partial"],
          clause_rows)
    document.add_heading("Assessments", level=1)
    names = {s["id"]: s["name"] for s in data["suppliers"]}
    table(document, ["Supplier", "Questionnaire", "Status", "Sent", "Submitted", "Decided"], [
        (names.get(a["supplier"], a["supplier"]), a["questionnaire"], a["status"].replace("_", " "),
         _date(a["sent_at"]), _date(a["submitted_at"]), _date(a["decided_at"]))
        for a in data["assessments"] if a["supplier"] in names])
    document.add_heading("Disputes and risks", level=1)
    table(document, ["Supplier", "Kind", "Title", "Severity", "Data security risk", "Owner",
                     "Status"], [
        (names.get(r["supplier"], r["supplier"]), r["kind"], r["title"], r["severity"],
         r["data_security_risk"] or "not recorded", r["owner"] or "–", r["status"])
        for r in data["risks"]])
    document.add_heading("Action plan", level=1)
    document.add_paragraph("Each gap, the action that closes it, who owns it and by when. An "
                           "organisation publishing at Approaching Standards uploads this plan.")
    table(document, ["Supplier", "Gap", "Action", "Owner", "Target date"], actions)
    document.add_heading("Manifest", level=1)
    document.add_paragraph("SHA-256 of the records this pack summarises (canonical JSON, "
                           "ordered by id).")
    table(document, ["Records", "Count", "SHA-256"], manifest(data))
    return f"dspt-standard-10-evidence-{toolkit}-{today:%Y%m%d}.docx", to_bytes(document)


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
         " ".join(c["fixes"]) or "–", ", ".join(c["evidences"])) for c in score["criteria"]])
    document.add_heading("Contacts", level=1)
    table(document, ["Name", "Email", "Role"], [(c["name"], c["email"], c["role"]) for c in contacts])
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
          rows)
    clause_titles = {k: c.title for k, c in library().items()}
    for contract in contracts:
        document.add_heading(f"Contract: {contract['title']}", level=1)
        document.add_paragraph(f"{_date(contract['start_date'])} to {_date(contract['end_date'])}; "
                               f"data role {contract['data_role']}.")
        check = await checklist(contract["id"])
        table(document, ["Clause", "Required", "Status", "Where"], [
            (clause_titles[c["key"]], "yes" if c["required"] else "recommended", c["status"],
             c["location"] or "–") for c in check["clauses"]])
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
