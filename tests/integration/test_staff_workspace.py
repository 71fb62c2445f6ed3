"""Staff workspace pages and actions over HTTP, with role rules enforced server-side."""

from __future__ import annotations

import re

import pytest

from models.tables import Assessment, Certification, Risk
from tests.contract_corpus import legalese
from tests.integration.conftest import SUPPLIER, contract_body
from tests.integration.journeys import csrf_of, sign_in


async def portfolio(client, procurement):
    supplier = (await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)).json()
    contact = (await client.post(f"/api/v1/suppliers/{supplier['id']}/contacts", headers=procurement,
                                 json={"name": "Helen Carter", "email": "helen@meridian.example"})).json()
    contract = (await client.post("/api/v1/contracts", headers=procurement,
                                  json=contract_body(supplier["id"]))).json()
    return supplier, contact, contract


@pytest.mark.parametrize("path", ["/staff/", "/staff/suppliers", "/staff/suppliers?rating=red&sort=-score&overdue=1&certification=none&page=2",
                                  "/staff/queue", "/staff/imports"])
async def test_pages_render_for_every_role(client, procurement, path):
    await portfolio(client, procurement)
    await sign_in(client, "auditor")
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert "Traceback" not in response.text


async def test_supplier_and_contract_pages(client, procurement):
    supplier, _, contract = await portfolio(client, procurement)
    await sign_in(client, "reviewer")
    page = await client.get(f"/staff/suppliers/{supplier['id']}")
    assert page.status_code == 200
    assert "Standard 10 score" in page.text and "Add a certification" in page.text
    assert "Send a questionnaire" not in page.text  # reviewers don't send
    contract_page = await client.get(f"/staff/contracts/{contract['id']}")
    assert "Clause checklist" in contract_page.text
    assert (await client.get("/staff/suppliers/9999")).status_code == 404
    assert (await client.get("/staff/contracts/9999")).status_code == 404


async def test_supplier_csv_export_follows_the_filter(client, procurement):
    await portfolio(client, procurement)
    await client.post("/api/v1/suppliers", headers=procurement, json={
        **SUPPLIER, "name": "Clean Co", "handles_personal_data": False,
        "handles_patient_data": False, "affects_care": False})
    await sign_in(client, "auditor")
    everything = await client.get("/staff/suppliers.csv")
    assert len(everything.text.strip().splitlines()) == 3
    critical = await client.get("/staff/suppliers.csv?tier=critical")
    lines = critical.text.strip().splitlines()
    assert len(lines) == 2 and "Meridian" in lines[1]


async def test_actions_from_the_supplier_page(client, procurement):
    supplier, contact, contract = await portfolio(client, procurement)
    await sign_in(client, "admin")
    page = await client.get(f"/staff/suppliers/{supplier['id']}")
    csrf = csrf_of(page)
    sent = await client.post(f"/staff/suppliers/{supplier['id']}/assessments", data={
        "csrf": csrf, "questionnaire": "uk-gdpr-processor", "contact_id": str(contact["id"]),
        "due_date-day": "1", "due_date-month": "1", "due_date-year": "2099"})
    assert sent.status_code == 400  # more than a year ahead: a clear error, nothing sent
    assert "between today and a year from today" in sent.text
    assert await Assessment.count() == 0
    import datetime as dt

    due = dt.date.today() + dt.timedelta(days=20)
    sent = await client.post(f"/staff/suppliers/{supplier['id']}/assessments", data={
        "csrf": csrf, "questionnaire": "uk-gdpr-processor", "contact_id": str(contact["id"]),
        "due_date-day": str(due.day), "due_date-month": str(due.month),
        "due_date-year": str(due.year)})
    assert sent.status_code == 303 and await Assessment.count() == 1
    # The link is shown once, on the page sent to, ready to copy; it opens the questionnaire.
    assert sent.headers["location"].endswith("/link") and "respond" not in sent.headers["location"]
    page = await client.get(sent.headers["location"])
    shown = re.search(r'id="supplier-link"[^>]*value="([^"]+)"', page.text)
    assert shown and "/respond/" in shown.group(1)
    token = shown.group(1).rsplit("/", 1)[1]
    assert (await client.get(f"/api/v1/respond/{token}")).status_code == 200
    assert token not in (await client.get(f"/staff/suppliers/{supplier['id']}")).text
    reload = await client.get(sent.headers["location"])  # a reload sends nothing again
    assert reload.status_code == 200 and token not in reload.text and "shown once" in reload.text
    assert await Assessment.count() == 1
    cert = await client.post(f"/staff/suppliers/{supplier['id']}/certifications", data={
        "csrf": csrf, "scheme": "cyber_essentials", "issued_on-day": "31",
        "issued_on-month": "2", "issued_on-year": "2026"})
    assert cert.status_code == 400 and "Enter a real date of issue" in cert.text
    today = dt.date.today()
    cert = await client.post(f"/staff/suppliers/{supplier['id']}/certifications", data={
        "csrf": csrf, "scheme": "cyber_essentials", "issued_on-day": str(today.day),
        "issued_on-month": str(today.month), "issued_on-year": str(today.year)})
    assert cert.status_code == 303 and await Certification.count() == 1
    risk = await client.post(f"/staff/suppliers/{supplier['id']}/risks", data={
        "csrf": csrf, "kind": "dispute", "title": "Invoice dispute", "severity": "low"})
    assert risk.status_code == 303 and await Risk.count() == 1
    upload = await client.post(f"/staff/contracts/{contract['id']}/documents", data={"csrf": csrf},
                               files={"file": ("c.docx", legalese().data, "application/octet-stream")})
    assert upload.status_code == 303
    clause = await client.post(f"/staff/contracts/{contract['id']}/clauses/art28.subject_matter",
                               data={"csrf": csrf, "status": "present", "note": "Order form"})
    assert clause.status_code == 303
    checklist = (await client.get(f"/api/v1/contracts/{contract['id']}/clauses")).json()
    subject = next(c for c in checklist["clauses"] if c["key"] == "art28.subject_matter")
    assert subject["source"] == "manual"


async def test_auditor_actions_are_refused_server_side(client, procurement):
    supplier, contact, contract = await portfolio(client, procurement)
    await sign_in(client, "auditor")
    page = await client.get(f"/staff/suppliers/{supplier['id']}")
    csrf = csrf_of(page)
    for path, data in [
        (f"/staff/suppliers/{supplier['id']}/assessments", {"questionnaire": "uk-gdpr-processor",
                                                            "contact_id": str(contact["id"]),
                                                            "due_date": "2026-12-31"}),
        (f"/staff/suppliers/{supplier['id']}/certifications", {"scheme": "cyber_essentials"}),
        (f"/staff/suppliers/{supplier['id']}/risks", {"kind": "risk", "title": "x"}),
        (f"/staff/contracts/{contract['id']}/clauses/art28.subject_matter", {"status": "present"}),
        ("/staff/imports/dspt", {}),
    ]:
        response = await client.post(path, data={"csrf": csrf, **data})
        assert response.status_code == 403, path
    assert await Assessment.count() == 0 and await Certification.count() == 0


async def test_imports_page_runs_an_import(client, procurement):
    await sign_in(client, "procurement")
    page = await client.get("/staff/imports")
    csv_text = ("supplier_key,name,handles_personal_data,handles_patient_data,affects_care\n"
                "K1,Alpha,yes,no,no\nK2,,yes,no,no\n")
    response = await client.post("/staff/imports/suppliers", data={"csrf": csrf_of(page)},
                                 files={"file": ("s.csv", csv_text.encode(), "text/csv")})
    assert response.status_code == 200
    assert "created" in response.text and "line 3" in response.text


async def test_send_a_new_link_from_the_review_page_shows_it_once(client):
    from portal.assessments import links
    from tests import factories

    supplier = await factories.supplier()
    contact = await factories.contact(supplier["id"])
    assessment, old = await factories.sent_assessment(supplier["id"], contact["id"])
    await sign_in(client, "procurement")
    page = await client.get(f"/staff/assessments/{assessment['id']}")
    assert "Send a new link" in page.text and old not in page.text
    reissued = await client.post(f"/staff/assessments/{assessment['id']}/reissue",
                                 data={"csrf": csrf_of(page)})
    assert reissued.status_code == 303
    reissued = await client.get(reissued.headers["location"])
    assert reissued.status_code == 200 and "New link sent" in reissued.text
    new = re.search(r'id="supplier-link"[^>]*value="[^"]+/respond/([^"]+)"', reissued.text).group(1)
    assert new != old
    assert (await client.get(f"/api/v1/respond/{old}")).status_code == 404
    assert (await client.get(f"/api/v1/respond/{new}")).status_code == 200
    again = await client.get(f"/staff/assessments/{assessment['id']}")
    assert new not in again.text  # once means once
    # The sealed cookie is no use to anyone else: another staff member's browser gets nothing.
    sealed = links.seal_for_display(assessment_id=assessment["id"], token=new,
                                    viewer="someone-else", reissued=True)
    client.cookies.set("portal_link_once", sealed)
    other = await client.get(f"/staff/assessments/{assessment['id']}/link")
    assert other.status_code == 200 and new not in other.text
