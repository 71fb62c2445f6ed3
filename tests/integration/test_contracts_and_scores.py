"""Contracts scanned for clauses, manual overrides, the schedule, certifications and scores."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys

import pytest
from docx import Document

from tests.contract_corpus import legalese, plain_english
from tests.integration.conftest import SUPPLIER, contract_body

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PARTICULARS = {"processing_subject_matter": "Electronic patient record hosting",
               "processing_nature_purpose": "Storage and retrieval for direct care",
               "personal_data_types": "Names, NHS numbers, clinical notes",
               "data_subject_categories": "Patients"}


async def make_contract(client, procurement, **overrides):
    supplier = (await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)).json()
    contract = (await client.post("/api/v1/contracts", headers=procurement,
                                  json=contract_body(supplier["id"], **overrides))).json()
    return supplier, contract


async def upload(client, headers, contract_id, data, name="contract.docx"):
    return await client.post(f"/api/v1/contracts/{contract_id}/documents", headers=headers,
                             files={"file": (name, data, DOCX)})


async def test_scan_records_clauses_and_manual_status_survives_rescans(client, procurement, reviewer):
    _, contract = await make_contract(client, procurement)
    assert (await upload(client, procurement, contract["id"], legalese().data)).status_code == 403
    response = await upload(client, reviewer, contract["id"], legalese().data)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["breach_notification_hours"] == 48
    by_key = {c["key"]: c for c in result["clauses"]}
    assert by_key["art28.sub_processors"]["status"] == "present"
    assert by_key["art28.sub_processors"]["source"] == "scan"
    assert "5.5" in by_key["art28.sub_processors"]["location"]
    assert "5.11" in by_key["transfers.international"]["location"]
    assert by_key["art28.subject_matter"]["status"] == "missing"
    assert result["clauses"][0]["status"] == "missing"  # gaps first
    manual = await client.put(f"/api/v1/contracts/{contract['id']}/clauses/art28.subject_matter",
                              headers=reviewer, json={"status": "present",
                                                      "location": "Order form, part B",
                                                      "note": "Processing details in the order form"})
    assert manual.status_code == 200 and manual.json()["source"] == "manual"
    await upload(client, reviewer, contract["id"], legalese().data)
    listed = (await client.get(f"/api/v1/contracts/{contract['id']}/clauses",
                               headers=reviewer)).json()
    subject = next(c for c in listed["clauses"] if c["key"] == "art28.subject_matter")
    assert subject["status"] == "present" and subject["source"] == "manual"
    assert len(listed["clauses"]) == 26


async def test_a_signed_pdf_contract_is_scanned_with_page_locations(client, procurement,
                                                                   reviewer):
    from tests.contract_corpus import pdf_contract

    _, contract = await make_contract(client, procurement)
    response = await upload(client, reviewer, contract["id"], pdf_contract().data, "signed.pdf")
    assert response.status_code == 201, response.text
    found = {c["key"]: c for c in response.json()["clauses"]}
    instructions = found["art28.documented_instructions"]
    assert instructions["status"] == "present"
    assert "page" in instructions["location"].lower()


async def test_bad_uploads_and_clause_input_are_4xx(client, procurement, reviewer):
    _, contract = await make_contract(client, procurement)
    broken_pdf = await upload(client, reviewer, contract["id"], b"%PDF-1.4 not a real pdf",
                              "contract.pdf")
    assert broken_pdf.status_code == 400, broken_pdf.text
    assert (await upload(client, reviewer, contract["id"], b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
                         "contract.png")).status_code == 415
    assert (await upload(client, reviewer, contract["id"], b"PK\x03\x04garbage")).status_code == 415
    assert (await upload(client, reviewer, 9999, legalese().data)).status_code == 404
    bad = await client.put(f"/api/v1/contracts/{contract['id']}/clauses/art28.confidentiality",
                           headers=reviewer, json={"status": "maybe"})
    assert bad.status_code == 400
    unknown = await client.put(f"/api/v1/contracts/{contract['id']}/clauses/art99.nothing",
                               headers=reviewer, json={"status": "present"})
    assert unknown.status_code == 404


async def test_missing_clause_schedule_is_a_real_word_document(client, procurement, reviewer):
    _, contract = await make_contract(client, procurement, **PARTICULARS)
    await upload(client, reviewer, contract["id"], plain_english().data)
    response = await client.get(f"/api/v1/contracts/{contract['id']}/schedule.docx",
                                headers=reviewer)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(DOCX)
    document = Document(io.BytesIO(response.content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert any("Sub-processors" in h for h in headings)
    assert not any("Confidentiality of personnel" in h for h in headings)  # already present
    text = "\n".join(p.text for p in document.paragraphs)
    assert "prior specific written authorisation" in text
    annex = next(t for t in document.tables if t.rows[0].cells[0].text == "Item")
    assert annex.rows[1].cells[1].text == PARTICULARS["processing_subject_matter"]


async def test_certifications_carry_their_validity(client, procurement, reviewer):
    supplier = (await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)).json()
    today = dt.date.today()
    cases = [
        ({"scheme": "iso27001", "edition": "2013", "issued_on": "2024-01-10",
          "expires_on": "2027-01-09"}, False, "2013"),
        ({"scheme": "cyber_essentials", "issued_on": (today - dt.timedelta(days=400)).isoformat()},
         False, "expired"),
        ({"scheme": "cyber_essentials_plus",
          "issued_on": (today - dt.timedelta(days=30)).isoformat()}, True, None),
        ({"scheme": "dspt", "status": "20/21 Standards Met"}, False, "stopped counting"),
    ]
    for body, current, reason in cases:
        response = await client.post("/api/v1/certifications", headers=reviewer,
                                     json={"supplier_id": supplier["id"], **body})
        result = response.json()
        assert result["current"] is current, result
        if reason:
            assert reason in result["reason"]
        else:
            assert result["reason"] is None and result["expires_on"]
    expiring = await client.get("/api/v1/certifications/expiring", params={"days": 366},
                                headers=reviewer)
    assert expiring.status_code == 200, expiring.text
    assert [r["scheme"] for r in expiring.json()] == ["cyber_essentials_plus"]
    assert (await client.get("/api/v1/certifications/expiring", params={"days": 0},
                             headers=reviewer)).status_code == 400


async def test_score_explains_itself_and_moves_with_its_inputs(client, procurement, reviewer):
    supplier, contract = await make_contract(client, procurement)
    score = (await client.get(f"/api/v1/suppliers/{supplier['id']}/score", headers=reviewer)).json()
    assert score["tier"] == "critical" and score["rating"] == "red"
    criteria = {c["key"]: c for c in score["criteria"]}
    assert set(criteria) == {"known", "contracted", "certified", "due_diligence", "risks"}
    assert sum(c["max_points"] for c in criteria.values()) == 100
    assert any("DSPT" in g for g in score["gates"])
    assert criteria["certified"]["fixes"]
    assert "10.2.1" in criteria["certified"]["evidences"]
    before = criteria["contracted"]["points"]
    await upload(client, reviewer, contract["id"], legalese().data)
    after = (await client.get(f"/api/v1/suppliers/{supplier['id']}/score", headers=reviewer)).json()
    assert {c["key"]: c for c in after["criteria"]}["contracted"]["points"] > before
    filtered = await client.get("/api/v1/suppliers", params={"rating": "red", "sort": "-score"},
                                headers=reviewer)
    assert filtered.json()["total"] == 1 and filtered.json()["items"][0]["rating"] == "red"
    assert (await client.get("/api/v1/suppliers", params={"rating": "purple"},
                             headers=reviewer)).status_code == 400
    assert (await client.get("/api/v1/suppliers/9999/score", headers=reviewer)).status_code == 404


def test_cli_scan_prints_every_key_as_json(tmp_path):
    path = tmp_path / "contract.docx"
    path.write_bytes(legalese().data)
    result = subprocess.run([sys.executable, "-m", "portal.cli", "contracts", "scan", str(path),
                             "--json"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert len(body["clauses"]) == 26 and body["breach_notification_hours"] == 48
    assert {"key", "present", "location", "excerpt"} <= set(body["clauses"][0])
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"nope")
    failed = subprocess.run([sys.executable, "-m", "portal.cli", "contracts", "scan", str(bad),
                             "--json"], capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr


pytestmark = pytest.mark.filterwarnings("ignore")
