"""Downloads named outside Latin-1, CSV exports that a spreadsheet could run, names that can't
be printed, and the outer layer every answer passes (headers, one log line, redaction)."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import unquote

import pytest

from models.tables import Supplier
from tests.integration.conftest import SUPPLIER, contract_body, staff_session
from tests.integration.journeys import PDF, onboard, send, upload

WELSH = "Gwasanaethau Iechyd ŵ"
POLISH = "Łódź Medyczna"


def filename_star(header: str) -> str:
    """The UTF-8 file name a browser takes from an RFC 6266 header."""
    match = re.search(r"filename\*=UTF-8''([^;]+)", header)
    assert match, header
    return unquote(match.group(1))


def fallback(header: str) -> str:
    match = re.search(r'filename="([^"]*)"', header)
    assert match, header
    return match.group(1)


async def test_downloads_named_outside_latin_1_are_served_with_filename_star(
        client, procurement):
    supplier, contact = await onboard(client, procurement, name=WELSH)
    _, token = await send(client, procurement, supplier, contact)
    uploaded = await upload(client, token, "cyber_essentials_certificate", PDF,
                            filename=f"Tystysgrif {WELSH} {POLISH}.pdf")
    assert uploaded.status_code in (200, 201), uploaded.text
    evidence = await client.get(f"/api/v1/evidence/{uploaded.json()['id']}", headers=procurement)
    assert evidence.status_code == 200 and evidence.content == PDF
    header = evidence.headers["content-disposition"]
    assert header.startswith("inline;") and header.isascii()
    assert "ŵ" in filename_star(header) and "Ł" in filename_star(header)
    assert fallback(header).endswith(".pdf")

    report = await client.get(f"/api/v1/suppliers/{supplier['id']}/report.docx",
                              headers=procurement)
    assert report.status_code == 200, report.text
    assert "ŵ" in filename_star(report.headers["content-disposition"])

    contract = await client.post("/api/v1/contracts", headers=procurement, json=contract_body(
        supplier["id"], title=f"Cytundeb {POLISH}", processing_subject_matter="Cofnodion",
        processing_nature_purpose="Storio", personal_data_types="Enwau",
        data_subject_categories="Cleifion"))
    assert contract.status_code == 201, contract.text
    schedule = await client.get(f"/api/v1/contracts/{contract.json()['id']}/schedule.docx",
                                headers=procurement)
    assert schedule.status_code == 200, schedule.text
    assert schedule.headers["content-disposition"].isascii()


@pytest.mark.parametrize("name", ["=HYPERLINK(\"https://evil.example\",\"Click\")", "+44 7700",
                                  "-2+3", "@SUM(A1:A9)"])
async def test_csv_exports_never_start_a_cell_with_a_formula(client, procurement, name):
    created = await client.post("/api/v1/suppliers", headers=procurement, json={
        **SUPPLIER, "name": name, "legal_name": "=cmd|' /C calc'!A0", "ods_code": ""})
    assert created.status_code == 201, created.text
    contact = await client.post(f"/api/v1/suppliers/{created.json()['id']}/contacts",
                                headers=procurement,
                                json={"name": "@evil", "email": "evil@example.com"})
    assert contact.status_code == 201, contact.text

    register = await client.get("/api/v1/reports/register.csv", headers=procurement)
    client.cookies.set("id", await staff_session("procurement", username="csv-reader"))
    staff_list = await client.get("/staff/suppliers.csv")
    client.cookies.clear()
    for response in (register, staff_list):
        assert response.status_code == 200, response.text
        rows = list(csv.DictReader(io.StringIO(response.text)))
        row = next(r for r in rows if r["name"].lstrip("'") == name)
        assert row["name"] == "'" + name
        assert row["legal_name"] == "'=cmd|' /C calc'!A0"
        cells = [c for r in rows for c in r.values() if c]
        assert not [c for c in cells if c[0] in "=+-@\t\r"], cells
    register_row = next(r for r in csv.DictReader(io.StringIO(register.text)))
    assert register_row["contacts"].startswith("'@evil")


@pytest.mark.parametrize("name", ["Acme\x07Health", "Acme\x1b[31m", "Acme\x0bHealth", "Acme\x85",
                                  "\u200b", "\u200b\u200c\u200d\u2060\ufeff", " \u3000\u200b ",
                                  "Acme\nHealth", "Acme\tHealth", "\ufffe"])
async def test_names_that_cant_be_printed_are_refused_like_empty_ones(client, procurement, name):
    response = await client.post("/api/v1/suppliers", headers=procurement,
                                 json={**SUPPLIER, "name": name})
    assert response.status_code == 400, response.text
    assert await Supplier.count() == 0
    supplier, _ = await onboard(client, procurement)
    for path, body in [(f"/api/v1/suppliers/{supplier['id']}/contacts",
                        {"name": name, "email": "a@example.com"}),
                       ("/api/v1/contracts", contract_body(supplier["id"], title=name)),
                       ("/api/v1/contracts", contract_body(supplier["id"],
                                                           products_services=[name]))]:
        refused = await client.post(path, headers=procurement, json=body)
        assert refused.status_code == 400, (path, refused.text)
    # Free text keeps its line breaks and tabs, and the reports still build.
    patched = await client.patch(f"/api/v1/suppliers/{supplier['id']}", headers=procurement,
                                 json={"notes": "line one\n\tline two", "version": 1})
    assert patched.status_code == 200, patched.text
    bell = await client.patch(f"/api/v1/suppliers/{supplier['id']}", headers=procurement,
                              json={"notes": "ring\x07", "version": 2})
    assert bell.status_code == 400, bell.text
    report = await client.get(f"/api/v1/suppliers/{supplier['id']}/report.docx",
                              headers=procurement)
    assert report.status_code == 200


async def test_every_answer_gets_the_headers_and_one_log_line(client, procurement):
    from structlog.testing import capture_logs

    from portal.core.logging import configure_logging

    configure_logging("INFO")  # an earlier test may have left the level at WARNING
    supplier, contact = await onboard(client, procurement)
    _, token = await send(client, procurement, supplier, contact)
    cases = [("GET", "/nowhere", 404), ("DELETE", "/health", 405), ("GET", "/static/none.css", 404),
             ("GET", "/admin/nothing-here", None), ("GET", f"/respon%64/{token}", 200),
             ("GET", f"/api/v1/respon%64/{token}", 200), ("GET", f"/RESPOND/{token}", 404),
             ("GET", f"/respond/{token[:5]}%2{token[5:]}", 404)]
    responses = []
    with capture_logs() as logs:
        for method, path, _ in cases:
            responses.append(await client.request(method, path, follow_redirects=False))
    for (_, path, status), response in zip(cases, responses, strict=True):
        if status is not None:
            assert response.status_code == status, (path, response.text[:200])
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY", path
        assert "content-security-policy" in response.headers, path
        assert response.headers.get("x-request-id"), path
        if path.startswith("/admin"):
            assert "'unsafe-inline'" in response.headers["content-security-policy"]
        if "respon" in path.lower():
            assert response.headers.get("cache-control") == "no-store", path
    logged = [entry for entry in logs if entry["event"] == "request"]
    assert len(logged) == len(cases), logged
    assert [entry["status"] for entry in logged][:3] == [404, 405, 404]
    text = json.dumps(logs, default=str)
    assert token not in text and token[5:] not in text, text
    assert sum("/respond/***" in entry["path"] for entry in logged) == 4, logged


async def test_text_answers_that_cant_be_printed_are_refused(client, procurement):
    supplier, contact = await onboard(client, procurement)
    _, token = await send(client, procurement, supplier, contact)
    for value in ["Acme\x07", "\x1b[2J", "a\x0cb"]:
        refused = await client.put(f"/api/v1/respond/{token}/answers/legal_name",
                                   json={"value": value})
        assert refused.status_code == 400, refused.text
    kept = await client.put(f"/api/v1/respond/{token}/answers/legal_name",
                            json={"value": "Meridian Health Records Ltd"})
    assert kept.status_code == 200, kept.text
