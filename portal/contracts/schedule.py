"""The missing-clause schedule: model clauses for a contract's missing or partial required terms."""

from __future__ import annotations

import datetime as dt
import re

from models.tables import Contract, Organisation, Supplier
from portal.contracts.library import library
from portal.contracts.service import checklist
from portal.core.errors import NotFound
from portal.core.word import new_document, stamp, table, to_bytes


async def build_schedule(contract_id: int) -> tuple[str, bytes]:
    contract = await Contract.select().where(Contract.id == contract_id).first()
    if contract is None:
        raise NotFound(f"No contract with id {contract_id}.")
    supplier = await Supplier.select().where(Supplier.id == contract["supplier"]).first()
    organisation = await Organisation.select().first() or {"name": "The Customer"}
    checks = await checklist(contract_id)
    gaps = [c for c in checks["clauses"] if c["required"] and c["status"] in ("missing", "partial")]
    clauses = library()
    customer = organisation["name"]
    supplier_name = supplier["legal_name"] or supplier["name"]

    document = new_document(f"Data protection schedule: {contract['title']}")
    stamp(document)
    document.add_heading("Data Protection Schedule", level=0)
    document.add_paragraph(
        f"This Schedule forms part of the contract '{contract['title']}'"
        + (f" (reference {contract['reference']})" if contract["reference"] else "")
        + f" between {customer} (the \"Customer\") and {supplier_name} (the \"Supplier\"). "
        "It adds the terms the contract needs to meet UK GDPR Article 28 and NHS "
        "requirements. Where this Schedule and the contract conflict, this Schedule prevails "
        "in relation to the Processing of Personal Data.")

    document.add_heading("1. Parties and processing details", level=1)
    start = contract["start_date"].strftime("%d %B %Y") if contract["start_date"] else "the start date"
    end = contract["end_date"].strftime("%d %B %Y") if contract["end_date"] else "termination"
    types = "Personal data including health and care data (special category data)" \
        if contract["patient_data"] else "Personal data"
    subjects = "Patients, service users and staff" if contract["patient_data"] else "Staff and members of the public"
    table(document, ["Item", "Detail"], [
        ("Controller", customer),
        ("Processor", supplier_name),
        ("Subject matter", contract["title"]),
        ("Duration of the processing", f"From {start} until {end}, and any exit period"),
        ("Nature and purpose", f"Provision of the services under '{contract['title']}'"),
        ("Types of personal data", types),
        ("Categories of data subjects", subjects),
    ])

    document.add_heading("2. Interpretation", level=1)
    document.add_paragraph(
        "2.1 In this Schedule, \"Data Protection Legislation\", \"Personal Data\", "
        "\"Processing\", \"Data Subject\", \"Personal Data Breach\" and \"Sub-processor\" "
        "have the meanings given in the UK GDPR and the Data Protection Act 2018.")

    if not gaps:
        document.add_heading("3. Additional terms", level=1)
        document.add_paragraph("3.1 The contract already contains every required clause; no "
                               "additional terms are needed.")
    for number, gap in enumerate(gaps, start=3):
        clause = clauses[gap["key"]]
        document.add_heading(f"{number}. {clause.title}", level=1)
        text = " ".join(clause.model_clause.split())
        document.add_paragraph(f"{number}.1 {text}")
        note = document.add_paragraph()
        run = note.add_run(f"Basis: {clause.legal_basis}. Status in the current contract: "
                           f"{gap['status']}"
                           + (f" ({gap['location']})" if gap["location"] else "") + ".")
        run.italic = True
    safe = re.sub(r"[^A-Za-z0-9-]+", "-", contract["title"]).strip("-")[:60] or "contract"
    return f"data-protection-schedule-{safe}-{dt.date.today():%Y%m%d}.docx", to_bytes(document)
