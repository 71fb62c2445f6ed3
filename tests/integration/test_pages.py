"""Pages for people (portal/core/pages.py and the staff error handling): the home page, error
pages in the site's style for browsers (the API keeps its JSON), and the workspace's inline
forms that come back with the error beside the field and what was typed kept."""

from __future__ import annotations

import datetime as dt

import pytest

from models.tables import Assessment, Organisation, Risk
from portal.settings import get_settings
from tests.integration.conftest import SUPPLIER, contract_body
from tests.integration.journeys import csrf_of, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def portfolio(client, procurement):
    supplier = (await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)).json()
    contact = (await client.post(f"/api/v1/suppliers/{supplier['id']}/contacts", headers=procurement,
                                 json={"name": "Helen Carter", "email": "helen@meridian.example"})).json()
    contract = (await client.post("/api/v1/contracts", headers=procurement,
                                  json=contract_body(supplier["id"]))).json()
    return supplier, contact, contract


async def test_the_home_page_says_who_it_is_for_and_whom_suppliers_ask(client):
    await Organisation.insert(Organisation(name="Northshire NHS Trust",
                                           ig_lead_name="Priya Shah",
                                           ig_lead_email="ig@northshire.example"))
    page = await client.get("/", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Northshire NHS Trust" in page.text
    assert 'href="/staff/"' in page.text and "Staff: sign in to the workspace" in page.text
    assert "Suppliers: use the link in your email" in page.text
    assert "Priya Shah (ig@northshire.example)" in page.text
    await Organisation.update({Organisation.contact_details: "Call the procurement desk on 0113 000 0000."},
                              force=True)
    assert "Call the procurement desk" in (await client.get("/")).text


@pytest.mark.parametrize(("method", "path", "status", "words"), [
    ("GET", "/no-such-page", 404, "Page not found"),
    ("DELETE", "/", 405, "be used that way"),
    ("GET", "/static/no-such-file.css", 404, "Page not found"),
    ("GET", "/staff/no-such-page", 404, "Go to the dashboard"),
    ("GET", "/respond/abc/no/such/page", 404, "Check the link in your email"),
])
async def test_browsers_get_error_pages_in_the_site_style(client, method, path, status, words):
    page = await client.request(method, path, headers=HTML)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert words in page.text and 'class="nhsuk-header"' in page.text
    assert "Accessibility statement" in page.text  # the footer, as on every page
    # Anything else (scripts, curl, the API's clients) keeps the JSON problem details; the
    # supplier pages answer every caller with a page.
    plain = await client.request(method, path)
    assert plain.status_code == status
    if not path.startswith("/respond"):
        assert plain.json()["status_code"] == status


async def test_the_api_answers_json_even_to_a_browser(client):
    for path in ("/api/v1/no-such-thing", "/api/v1/suppliers"):
        response = await client.get(path, headers=HTML)
        assert response.headers["content-type"].startswith("application/json"), path
        assert response.json()["status_code"] in (401, 404)


async def test_staff_refusals_and_failures_are_workspace_pages(client, procurement, monkeypatch):
    supplier, _, contract = await portfolio(client, procurement)
    await sign_in(client, "auditor")
    page = await client.get(f"/staff/suppliers/{supplier['id']}")
    refused = await client.post(f"/staff/suppliers/{supplier['id']}/risks",
                                data={"csrf": csrf_of(page), "kind": "risk", "title": "x"})
    assert refused.status_code == 403
    assert "You do not have access to this page" in refused.text
    assert f'href="/staff/suppliers/{supplier["id"]}"' in refused.text  # back where they were
    assert "Sign out" in refused.text and "javascript:" not in refused.text
    assert (await client.get("/staff/suppliers/999999", headers=HTML)).status_code == 404

    from portal.staff import workspace

    async def broken():
        raise RuntimeError("the dashboard query failed")

    monkeypatch.setattr(workspace, "overview", broken)
    failed = await client.get("/staff/", headers=HTML)
    assert failed.status_code == 500
    assert "Sorry, there is a problem with the service" in failed.text
    assert "Quote reference" in failed.text and "RuntimeError" not in failed.text


async def test_a_staff_upload_over_the_limit_keeps_the_person_on_track(client, procurement):
    _, _, contract = await portfolio(client, procurement)
    await sign_in(client, "admin")
    csrf = csrf_of(await client.get(f"/staff/contracts/{contract['id']}"))
    limit = get_settings().max_upload_bytes
    too_big = await client.post(
        f"/staff/contracts/{contract['id']}/documents", data={"csrf": csrf},
        files={"file": ("big.docx", b"0" * (limit + 2 * 1024 * 1024), "application/octet-stream")})
    assert too_big.status_code == 413
    assert too_big.headers["content-type"].startswith("text/html")
    assert "The file is too large" in too_big.text
    assert f"{get_settings().max_upload_mb} MB" in too_big.text
    assert f'href="/staff/contracts/{contract["id"]}"' in too_big.text
    # No file chosen, or one that isn't a contract: the contract page, the message by the field.
    for files in ({}, {"file": ("notes.docx", b"not a word document", "application/octet-stream")}):
        page = await client.post(f"/staff/contracts/{contract['id']}/documents",
                                 data={"csrf": csrf}, files=files or None)
        assert page.status_code in (400, 415), page.text
        assert "Clause checklist" in page.text and 'id="file-error"' in page.text
        assert "nhsuk-error-summary" in page.text


async def test_the_inline_forms_keep_what_was_typed(client, procurement):
    supplier, contact, contract = await portfolio(client, procurement)
    await sign_in(client, "admin")
    url = f"/staff/suppliers/{supplier['id']}"
    csrf = csrf_of(await client.get(url))

    sent = await client.post(f"{url}/assessments", data={
        "csrf": csrf, "questionnaire": "uk-gdpr-processor", "contact_id": str(contact["id"]),
        "due_date-day": "31", "due_date-month": "2", "due_date-year": "2027"})
    assert sent.status_code == 400 and await Assessment.count() == 0
    assert "Enter the due date as a real date" in sent.text
    assert 'id="due_date-error"' in sent.text and '<details class="nhsuk-details" id="send" open>' in sent.text
    assert 'value="31"' in sent.text and 'value="2027"' in sent.text
    assert '<option value="uk-gdpr-processor" selected>' in sent.text
    assert "There is a problem" in sent.text and "issued_on" not in sent.text
    nobody = await client.post(f"{url}/assessments", data={
        "csrf": csrf, "questionnaire": "nonsense", "contact_id": "999999"})
    assert nobody.status_code == 400
    assert "Choose the questionnaire to send." in nobody.text
    assert "Choose one of this supplier" in nobody.text
    assert "Enter the date the answers are due." in nobody.text

    risk = await client.post(f"{url}/risks", data={
        "csrf": csrf, "kind": "dispute", "title": "", "severity": "high",
        "owner": "Dana Procurement", "mitigation": "Escalate to the contract board"})
    assert risk.status_code == 400 and await Risk.count() == 0
    assert "Enter a title." in risk.text and 'id="title-error"' in risk.text
    assert 'value="Dana Procurement"' in risk.text and "Escalate to the contract board" in risk.text
    assert '<option value="dispute" selected>' in risk.text
    assert '<details class="nhsuk-details" id="log-risk" open>' in risk.text
    long_title = await client.post(f"{url}/risks", data={
        "csrf": csrf, "kind": "risk", "title": "x" * 500, "severity": "low"})
    assert long_title.status_code == 400 and "characters or fewer" in long_title.text

    key = "art28.subject_matter"
    clause = await client.post(f"/staff/contracts/{contract['id']}/clauses/{key}", data={
        "csrf": csrf, "status": "not_applicable", "note": "Covered by the order form"})
    assert clause.status_code == 400
    assert "Article 28 requires every one of its terms" in clause.text
    assert f'id="status-{key}-error"' in clause.text
    assert 'value="Covered by the order form"' in clause.text
    assert '<option value="not_applicable" selected>' in clause.text
    odd = await client.post(f"/staff/contracts/{contract['id']}/clauses/{key}",
                            data={"csrf": csrf, "status": "maybe"})
    assert odd.status_code == 400 and "Choose present, partial, missing or not applicable" in odd.text

    due = dt.date.today() + dt.timedelta(days=14)
    good = await client.post(f"{url}/assessments", data={
        "csrf": csrf, "questionnaire": "uk-gdpr-processor", "contact_id": str(contact["id"]),
        "due_date-day": str(due.day), "due_date-month": str(due.month),
        "due_date-year": str(due.year)})
    assert good.status_code == 303 and await Assessment.count() == 1


async def test_review_and_import_forms_come_back_with_the_message_beside_the_field(
        client, procurement):
    from tests.integration.journeys import submitted_assessment

    assessment_id, _, _ = await submitted_assessment(client, procurement)
    await sign_in(client, "reviewer")
    url = f"/staff/assessments/{assessment_id}"
    csrf = csrf_of(await client.get(url))
    query = await client.post(f"{url}/answers/legal_name", data={
        "csrf": csrf, "decision": "query", "comment": ""})
    assert query.status_code == 400
    assert 'id="comment-legal_name-error"' in query.text and "Say what the supplier" in query.text
    assert "nhsuk-error-summary" in query.text and "Review:" in query.text
    decision = await client.post(f"{url}/decision", data={
        "csrf": csrf, "comment": "Thorough answers, thank you."})
    assert decision.status_code == 400 and 'id="decision-error"' in decision.text
    assert "Thorough answers, thank you." in decision.text

    await sign_in(client, "procurement")
    csrf = csrf_of(await client.get("/staff/imports"))
    empty = await client.post("/staff/imports/suppliers", data={"csrf": csrf})
    assert empty.status_code == 400 and 'id="suppliers-file-error"' in empty.text
    assert "Choose the CSV file to import." in empty.text
    blank = await client.post("/staff/imports/dspt", data={"csrf": csrf},
                              files={"file": ("register.csv", b"", "text/csv")})
    assert blank.status_code == 400 and 'id="dspt-file-error"' in blank.text
    assert "The file is empty." in blank.text
