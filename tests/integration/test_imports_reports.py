"""DSPT register and supplier imports; the evidence pack, supplier report and register CSV."""

from __future__ import annotations

import csv
import io

from docx import Document

from models.tables import Certification, DsptRegisterEntry, Supplier
from tests.contract_corpus import legalese
from tests.integration.conftest import SUPPLIER, contract_body

DSPT_CSV = """Code,Organisation Name,Status,Date Of Publication,Primary Sector,ICB
8JD12,Meridian Health Records Ltd,24/25 Standards Met,27/06/2025,IT Supplier,NHS Example ICB
8ZZ99,Someone Else Ltd,23/24 Standards Exceeded,30/06/2024,IT Supplier,NHS Example ICB
BAD CODE!,Broken Ltd,24/25 Standards Met,01/01/2025,IT Supplier,
8QQ11,Odd Status Ltd,Excellent,01/01/2025,IT Supplier,
8QQ12,Odd Date Ltd,24/25 Standards Met,2025-01-01,IT Supplier,
8QQ13,Plan Agreed Ltd,24/25 Standards Not Fully Met (Plan Agreed),30/06/2025,IT Supplier,
"""


async def test_dspt_import_verifies_suppliers_and_reimport_updates(client, procurement, reviewer):
    supplier = (await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)).json()
    response = await client.post("/api/v1/imports/dspt", headers=reviewer,
                                 files={"file": ("dspt.csv", DSPT_CSV.encode(), "text/csv")})
    assert response.status_code == 200, response.text
    report = response.json()
    # "Plan Agreed" is a DSPT level and an unknown status is kept for review, not dropped
    assert (report["rows"], report["stored"], report["matched_suppliers"], report["unmatched"]) == (6, 4, 1, 3)
    assert len(report["errors"]) == 2 and "line 4" in report["errors"][0]
    assert report["for_review_count"] == 1 and "'Excellent'" in report["for_review"][0]
    assert (await DsptRegisterEntry.select().where(DsptRegisterEntry.ods_code == "8QQ13").first()
            )["status"].endswith("(Plan Agreed)")
    cert = await Certification.select().where(Certification.supplier == supplier["id"]).first()
    assert cert["verification"] == "register_verified" and cert["status"] == "24/25 Standards Met"
    newer = DSPT_CSV.replace("24/25 Standards Met,27/06/2025", "25/26 Standards Exceeded,20/06/2026")
    await client.post("/api/v1/imports/dspt", headers=reviewer,
                      files={"file": ("dspt.csv", newer.encode(), "text/csv")})
    assert await DsptRegisterEntry.count() == 4
    certs = await Certification.select().where(Certification.supplier == supplier["id"])
    assert len(certs) == 1 and certs[0]["status"] == "25/26 Standards Exceeded"
    wrong = await client.post("/api/v1/imports/dspt", headers=reviewer,
                              files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")})
    assert "missing the column" in wrong.json()["errors"][0]
    assert (await client.post("/api/v1/imports/dspt", headers=(await _auditor(client)),
                              files={"file": ("d.csv", DSPT_CSV.encode(), "text/csv")})).status_code == 403


async def _auditor(client):
    from portal.core import staff

    issued = await staff.create_token(name="aud", role="auditor")
    return {"Authorization": f"Bearer {issued.token}"}


SUPPLIERS_CSV = """supplier_key,name,legal_name,ods_code,handles_personal_data,handles_patient_data,affects_care,contact_name,contact_email
FIN-1,Acme Hosting,Acme Hosting Ltd,8AC01,yes,no,no,Ann Lee,ann@acme.example
FIN-2,Bright Cleaning,,,no,no,no,,
FIN-3,,Nameless Ltd,,yes,no,no,,
FIN-4,Bad Flags,,,maybe,no,no,,
FIN-5,Bad Email,,,yes,no,no,Bob,not-an-email
"""


async def test_supplier_import_dry_run_errors_and_idempotence(client, procurement):
    files = {"file": ("s.csv", SUPPLIERS_CSV.encode(), "text/csv")}
    dry = (await client.post("/api/v1/imports/suppliers", headers=procurement, files=files,
                             data={"dry_run": "true"})).json()
    assert (dry["created"], dry["dry_run"], await Supplier.count()) == (2, True, 0)
    assert {e.split(":")[0] for e in dry["errors"]} == {"line 4", "line 5", "line 6"}
    first = (await client.post("/api/v1/imports/suppliers", headers=procurement, files=files)).json()
    assert (first["created"], first["contacts_added"]) == (2, 1)
    again = (await client.post("/api/v1/imports/suppliers", headers=procurement, files=files)).json()
    assert (again["created"], again["updated"], again["unchanged"], again["contacts_added"]) == (0, 0, 2, 0)
    changed = SUPPLIERS_CSV.replace("Acme Hosting Ltd", "Acme Hosting Group Ltd")
    third = (await client.post("/api/v1/imports/suppliers", headers=procurement,
                               files={"file": ("s.csv", changed.encode(), "text/csv")})).json()
    assert third["updated"] == 1 and await Supplier.count() == 2


async def _portfolio(client, procurement, reviewer):
    supplier = (await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)).json()
    await client.post(f"/api/v1/suppliers/{supplier['id']}/contacts", headers=procurement,
                      json={"name": "Helen Carter", "email": "helen@meridian.example"})
    contract = (await client.post("/api/v1/contracts", headers=procurement,
                                  json=contract_body(supplier["id"]))).json()
    await client.post(f"/api/v1/contracts/{contract['id']}/documents", headers=reviewer,
                      files={"file": ("c.docx", legalese().data, "application/octet-stream")})
    await client.post("/api/v1/certifications", headers=reviewer, json={
        "supplier_id": supplier["id"], "scheme": "iso27001", "edition": "2013",
        "issued_on": "2024-01-01", "expires_on": "2027-01-01"})
    risk = await client.post("/api/v1/risks", headers=reviewer, json={
        "supplier_id": supplier["id"], "kind": "dispute", "title": "Late breach report",
        "severity": "high"})
    assert risk.status_code == 201, risk.text
    return supplier


async def test_supplier_report_and_register_csv(client, procurement, reviewer):
    supplier = await _portfolio(client, procurement, reviewer)
    report = await client.get(f"/api/v1/suppliers/{supplier['id']}/report.docx", headers=reviewer)
    document = Document(io.BytesIO(report.content))
    assert any("Score against standard 10" == p.text for p in document.paragraphs)
    register = await client.get("/api/v1/reports/register.csv", headers=reviewer)
    rows = list(csv.DictReader(io.StringIO(register.text)))
    assert rows[0]["name"] == "Meridian Health Records"
    assert rows[0]["contacts"] == "Helen Carter <helen@meridian.example>"
    assert rows[0]["latest_end"] == "2028-03-31" and rows[0]["rating"] == "red"


async def test_dspt_rows_with_unprintable_names_or_other_digits_are_reported_not_stored(
        client, reviewer):
    header = DSPT_CSV.splitlines()[0]
    text = "\n".join([header, "8JD13,Bell\x07 Ltd,24/25 Standards Met,27/06/2025,IT Supplier,",
                      "\u0668JD14,Arabic Digit Ltd,24/25 Standards Met,27/06/2025,IT Supplier,",
                      "8JD15,Fine Ltd,24/25 Standards Met,27/06/2025,IT Supplier,"]) + "\n"
    response = await client.post("/api/v1/imports/dspt", headers=reviewer,
                                 files={"file": ("dspt.csv", text.encode(), "text/csv")})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["stored"] == 1 and len(report["errors"]) == 2, report
    assert "can't be printed" in report["errors"][0] and "line 3" in report["errors"][1]
    assert [r["ods_code"] for r in await DsptRegisterEntry.select()] == ["8JD15"]
