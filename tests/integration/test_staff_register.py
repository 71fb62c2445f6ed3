"""Register upkeep through the workspace pages: add, change and archive a supplier, with
errors in words beside the fields, what was typed kept, a stale edit refused, auditors refused."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from models.tables import AuditEvent, Supplier, SupplierScore
from portal.suppliers.service import get_contract
from tests.integration.conftest import staff_session

FORM = {"name": "Northgate Shredding", "legal_name": "Northgate Shredding Ltd",
        "companies_house_number": "sc123456", "ico_registration_number": "ZA654321",
        "ods_code": "", "website": "https://northgate.example.co.uk", "supplier_key": "FIN-77",
        "supplier_type": "non_it", "handles_personal_data": "yes",
        "handles_patient_data": "yes", "affects_care": "yes", "notes": "Weekly collection"}


async def signed_in(client, role: str, page: str = "/staff/suppliers") -> str:
    client.cookies.set("id", await staff_session(role, username=f"{role}-register"))
    response = await client.get(page)
    match = re.search(r'name="csrf" value="([^"]+)"', response.text)
    return match[1] if match else ""


def version_of(page) -> str:
    return re.search(r'name="version" value="(\d+)"', page.text)[1]


async def add(client, csrf: str, **changes) -> int:
    response = await client.post("/staff/suppliers/new", data={**FORM, **changes, "csrf": csrf},
                                 follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(re.search(r"/staff/suppliers/(\d+)", response.headers["location"])[1])


async def test_procurement_adds_a_supplier_from_the_list(client):
    csrf = await signed_in(client, "procurement")
    listing = await client.get("/staff/suppliers")
    assert 'href="/staff/suppliers/new"' in listing.text
    form = await client.get("/staff/suppliers/new")
    assert form.status_code == 200 and "Choose a type" in form.text
    supplier_id = await add(client, csrf)
    stored = await Supplier.select().where(Supplier.id == supplier_id).first()
    assert stored["companies_house_number"] == "SC123456" and stored["supplier_type"] == "non_it"
    assert stored["handles_patient_data"] is True and stored["supplier_key"] == "FIN-77"
    event = await AuditEvent.select().where(AuditEvent.action == "supplier.created").first()
    assert event["actor"] == "procurement-register"
    page = await client.get(f"/staff/suppliers/{supplier_id}?notice=added")
    assert "Supplier added." in page.text and f"/staff/suppliers/{supplier_id}/edit" in page.text


async def test_a_refused_supplier_form_keeps_what_was_typed_and_speaks_in_words(client):
    csrf = await signed_in(client, "procurement")
    bad = await client.post("/staff/suppliers/new", data={
        **FORM, "csrf": csrf, "name": "", "companies_house_number": "12-34",
        "website": "not a website", "handles_personal_data": "no", "affects_care": "",
        "supplier_type": ""})
    assert bad.status_code == 400
    text = bad.text
    assert "nhsuk-error-summary" in text
    for field in ("name", "companies_house_number", "website", "handles_patient_data",
                  "affects_care", "supplier_type"):
        assert f'id="{field}-error"' in text, field
        assert f'href="#{field}"' in text, field
    assert "Enter the supplier&#39;s name." in text
    assert "8 digits, or 2 letters and 6 digits" in text
    assert "handles personal data too" in text
    assert "Choose the type of supplier." in text
    # Never the schema's words.
    for internal in ("companies_house_number:", "String should", "Input should", "Field required",
                     "handles_patient_data requires"):
        assert internal not in text, internal
    assert 'value="12-34"' in text and 'value="not a website"' in text
    assert 'value="Northgate Shredding Ltd"' in text and "Weekly collection" in text
    assert re.search(r'id="handles_personal_data-no"[^>]*checked', text)
    assert await Supplier.count() == 0


async def test_a_taken_finance_key_is_shown_beside_its_field(client):
    csrf = await signed_in(client, "procurement")
    await add(client, csrf)
    again = await client.post("/staff/suppliers/new", data={**FORM, "csrf": csrf,
                                                            "name": "Another"})
    assert again.status_code == 409 and 'id="supplier_key-error"' in again.text
    assert 'value="Another"' in again.text and await Supplier.count() == 1


async def test_changing_the_flags_through_the_page_moves_the_stored_tier(client):
    csrf = await signed_in(client, "procurement")
    supplier_id = await add(client, csrf, supplier_type="it_system")
    before = await SupplierScore.select().where(SupplierScore.supplier == supplier_id).first()
    assert before["tier"] == "critical"
    form = await client.get(f"/staff/suppliers/{supplier_id}/edit")
    assert 'value="Northgate Shredding Ltd"' in form.text
    changed = await client.post(f"/staff/suppliers/{supplier_id}/edit", data={
        **FORM, "csrf": csrf, "version": version_of(form), "supplier_type": "it_system",
        "handles_personal_data": "no", "handles_patient_data": "no", "affects_care": "no",
        "legal_name": ""}, follow_redirects=False)
    assert changed.status_code == 303, changed.text
    stored = await Supplier.select().where(Supplier.id == supplier_id).first()
    assert stored["handles_patient_data"] is False and stored["legal_name"] == ""
    after = await SupplierScore.select().where(SupplierScore.supplier == supplier_id).first()
    assert after["tier"] != "critical", after
    event = await AuditEvent.select().where(AuditEvent.action == "supplier.updated").first()
    assert json.loads(event["after"])["affects_care"] is False


async def test_a_stale_edit_is_a_409_saying_someone_else_changed_it(client):
    csrf = await signed_in(client, "procurement")
    supplier_id = await add(client, csrf)
    form = await client.get(f"/staff/suppliers/{supplier_id}/edit")
    stale = version_of(form)
    first = await client.post(f"/staff/suppliers/{supplier_id}/edit", data={
        **FORM, "csrf": csrf, "version": stale, "name": "First edit"}, follow_redirects=False)
    assert first.status_code == 303
    second = await client.post(f"/staff/suppliers/{supplier_id}/edit", data={
        **FORM, "csrf": csrf, "version": stale, "name": "Second edit"})
    assert second.status_code == 409
    assert "Someone else changed this supplier" in second.text
    assert 'value="Second edit"' in second.text
    assert (await Supplier.select().where(Supplier.id == supplier_id).first())["name"] == "First edit"
    invalid = await client.post(f"/staff/suppliers/{supplier_id}/edit", data={
        **FORM, "csrf": csrf, "version": version_of(await client.get(
            f"/staff/suppliers/{supplier_id}/edit")), "website": "ftp:/x"})
    assert invalid.status_code == 400 and 'id="website-error"' in invalid.text


async def test_archive_asks_first_and_then_archives(client):
    csrf = await signed_in(client, "procurement")
    supplier_id = await add(client, csrf)
    confirm = await client.get(f"/staff/suppliers/{supplier_id}/archive")
    assert confirm.status_code == 200 and 'name="confirm" value="archive"' in confirm.text
    unconfirmed = await client.post(f"/staff/suppliers/{supplier_id}/archive",
                                    data={"csrf": csrf}, follow_redirects=False)
    assert unconfirmed.status_code == 400
    assert (await Supplier.select().where(Supplier.id == supplier_id).first())["archived_at"] is None
    done = await client.post(f"/staff/suppliers/{supplier_id}/archive",
                             data={"csrf": csrf, "confirm": "archive"}, follow_redirects=False)
    assert done.status_code == 303
    assert (await Supplier.select().where(Supplier.id == supplier_id).first())["archived_at"]
    assert await AuditEvent.exists().where(AuditEvent.action == "supplier.archived")
    assert (await client.get(f"/staff/suppliers/{supplier_id}/edit")).status_code == 422


async def test_auditors_see_no_register_buttons_and_are_refused(client):
    csrf = await signed_in(client, "procurement")
    supplier_id = await add(client, csrf)
    client.cookies.clear()
    csrf = await signed_in(client, "auditor", f"/staff/suppliers/{supplier_id}")
    page = await client.get(f"/staff/suppliers/{supplier_id}")
    assert "/edit" not in page.text and "/archive" not in page.text
    assert "/staff/suppliers/new" not in (await client.get("/staff/suppliers")).text
    assert (await client.get("/staff/suppliers/new")).status_code == 403
    assert (await client.post("/staff/suppliers/new", data={**FORM, "csrf": csrf})).status_code == 403
    assert (await client.post(f"/staff/suppliers/{supplier_id}/edit",
                              data={**FORM, "csrf": csrf, "version": "1"})).status_code == 403
    assert (await client.post(f"/staff/suppliers/{supplier_id}/archive",
                              data={"csrf": csrf, "confirm": "archive"})).status_code == 403
    assert await Supplier.count() == 1
    assert (await Supplier.select().where(Supplier.id == supplier_id).first())["archived_at"] is None


async def test_contacts_are_added_changed_and_archived_from_the_supplier_page(client):
    from models.tables import SupplierContact

    csrf = await signed_in(client, "procurement")
    supplier_id = await add(client, csrf)
    page = await client.get(f"/staff/suppliers/{supplier_id}")
    assert f"/staff/suppliers/{supplier_id}/contacts/new" in page.text
    bad = await client.post(f"/staff/suppliers/{supplier_id}/contacts/new", data={
        "csrf": csrf, "name": "Ada Shaw", "email": "ada at example", "role": "IG lead"})
    assert bad.status_code == 400 and 'id="email-error"' in bad.text
    assert "Enter an email address in the correct format" in bad.text
    assert "value is not a valid email" not in bad.text
    assert 'value="Ada Shaw"' in bad.text and 'value="ada at example"' in bad.text
    assert 'value="IG lead"' in bad.text
    ok = await client.post(f"/staff/suppliers/{supplier_id}/contacts/new", data={
        "csrf": csrf, "name": "Ada Shaw", "email": "ada@northgate.example", "role": "IG lead"},
        follow_redirects=False)
    assert ok.status_code == 303
    contact = await SupplierContact.select().where(SupplierContact.supplier == supplier_id).first()
    assert contact["email"] == "ada@northgate.example"
    edit_url = f"/staff/suppliers/{supplier_id}/contacts/{contact['id']}/edit"
    form = await client.get(edit_url)
    assert 'value="IG lead"' in form.text
    stale = version_of(form)
    changed = await client.post(edit_url, data={"csrf": csrf, "version": stale, "name": "Ada Shaw",
                                                "email": "ada.shaw@northgate.example", "role": ""},
                                follow_redirects=False)
    assert changed.status_code == 303
    stored = await SupplierContact.select().where(SupplierContact.id == contact["id"]).first()
    assert stored["email"] == "ada.shaw@northgate.example" and stored["role"] == ""
    conflict = await client.post(edit_url, data={"csrf": csrf, "version": stale, "name": "Old",
                                                 "email": "old@northgate.example"})
    assert conflict.status_code == 409 and "Someone else changed this contact" in conflict.text
    assert 'value="Old"' in conflict.text
    blank = await client.post(edit_url, data={"csrf": csrf, "version": stale})
    assert blank.status_code == 400 and "Enter the contact&#39;s name." in blank.text
    archive_url = f"/staff/suppliers/{supplier_id}/contacts/{contact['id']}/archive"
    assert (await client.get(archive_url)).status_code == 200
    assert (await client.post(archive_url, data={"csrf": csrf})).status_code == 400
    archived = await client.post(archive_url, data={"csrf": csrf, "confirm": "archive"},
                                 follow_redirects=False)
    assert archived.status_code == 303
    assert (await SupplierContact.select().where(SupplierContact.id == contact["id"]).first()
            )["archived_at"] is not None
    assert await AuditEvent.exists().where(AuditEvent.action == "contact.archived")
    client.cookies.clear()
    csrf = await signed_in(client, "auditor", f"/staff/suppliers/{supplier_id}")
    assert (await client.get(f"/staff/suppliers/{supplier_id}/contacts/new")).status_code == 403
    assert (await client.post(f"/staff/suppliers/{supplier_id}/contacts/new", data={
        "csrf": csrf, "name": "X", "email": "x@example.org"})).status_code == 403
    assert "contacts/new" not in (await client.get(f"/staff/suppliers/{supplier_id}")).text


CONTRACT = {"title": "Confidential waste collection", "reference": "RCH-WASTE-1",
            "products_services": "Weekly collection\r\n\r\nOn-site shredding  \n",
            "start_date-day": "1", "start_date-month": "4", "start_date-year": "2026",
            "end_date-day": "31", "end_date-month": "3", "end_date-year": "2029",
            "notice_date-day": "", "notice_date-month": "", "notice_date-year": "",
            "annual_value": "12,500.50", "data_role": "processor", "system_access": "none",
            "personal_data": "yes", "patient_data": "yes", "special_category_data": "no",
            "supports_essential_function": "no"}


async def test_contracts_are_added_changed_and_archived_through_the_pages(client):
    from models.tables import Contract

    csrf = await signed_in(client, "procurement")
    supplier_id = await add(client, csrf, supplier_type="it_service", affects_care="no",
                            handles_patient_data="no", handles_personal_data="no")
    assert (await SupplierScore.select().where(SupplierScore.supplier == supplier_id).first()
            )["tier"] != "critical"
    page = await client.get(f"/staff/suppliers/{supplier_id}")
    assert f"/staff/suppliers/{supplier_id}/contracts/new" in page.text
    new_url = f"/staff/suppliers/{supplier_id}/contracts/new"
    bad = await client.post(new_url, data={
        **CONTRACT, "csrf": csrf, "end_date-year": "2025", "start_date-month": "13",
        "personal_data": "no", "data_role": "", "annual_value": "lots"})
    assert bad.status_code == 400
    for field in ("start_date", "patient_data", "data_role", "annual_value"):
        assert f'id="{field}-error"' in bad.text, field
    assert "Enter a real start date" in bad.text and "Choose the supplier&#39;s data role." in bad.text
    assert "Input should" not in bad.text and "annual_value" not in bad.text.split("<form")[0]
    assert 'value="13"' in bad.text and 'value="lots"' in bad.text and "On-site shredding" in bad.text
    assert await Contract.count() == 0
    before_end = await client.post(new_url, data={**CONTRACT, "csrf": csrf,
                                                  "end_date-year": "2025"})
    assert before_end.status_code == 400 and 'id="end_date-error"' in before_end.text
    ok = await client.post(new_url, data={**CONTRACT, "csrf": csrf}, follow_redirects=False)
    assert ok.status_code == 303, ok.text
    contract = await Contract.select().where(Contract.supplier == supplier_id).first()
    stored = await get_contract(contract["id"])
    assert stored["products_services"] == ["Weekly collection", "On-site shredding"]
    assert Decimal(str(stored["annual_value"])) == Decimal("12500.50") and stored["notice_date"] is None
    contract_page = await client.get(f"/staff/contracts/{contract['id']}?notice=added")
    assert f"/staff/contracts/{contract['id']}/edit" in contract_page.text
    form = await client.get(f"/staff/contracts/{contract['id']}/edit")
    assert "Weekly collection\nOn-site shredding" in form.text and 'value="2029"' in form.text
    stale = version_of(form)
    changed = await client.post(f"/staff/contracts/{contract['id']}/edit", data={
        **CONTRACT, "csrf": csrf, "version": stale, "system_access": "privileged",
        "products_services": "Weekly collection", "annual_value": ""}, follow_redirects=False)
    assert changed.status_code == 303, changed.text
    stored = await get_contract(contract["id"])
    assert stored["system_access"] == "privileged" and stored["products_services"] == [
        "Weekly collection"] and stored["annual_value"] is None
    # Privileged access makes the supplier critical: the stored tier follows the page's change.
    assert (await SupplierScore.select().where(SupplierScore.supplier == supplier_id).first()
            )["tier"] == "critical"
    conflict = await client.post(f"/staff/contracts/{contract['id']}/edit", data={
        **CONTRACT, "csrf": csrf, "version": stale, "title": "Late edit"})
    assert conflict.status_code == 409 and "Someone else changed this contract" in conflict.text
    assert 'value="Late edit"' in conflict.text
    archive_url = f"/staff/contracts/{contract['id']}/archive"
    assert (await client.get(archive_url)).status_code == 200
    assert (await client.post(archive_url, data={"csrf": csrf})).status_code == 400
    done = await client.post(archive_url, data={"csrf": csrf, "confirm": "archive"},
                             follow_redirects=False)
    assert done.status_code == 303
    assert (await Contract.select().where(Contract.id == contract["id"]).first())["archived_at"]
    assert (await client.get(f"/staff/contracts/{contract['id']}/edit")).status_code == 422
    client.cookies.clear()
    csrf = await signed_in(client, "auditor", f"/staff/suppliers/{supplier_id}")
    assert (await client.get(new_url)).status_code == 403
    assert (await client.post(new_url, data={**CONTRACT, "csrf": csrf})).status_code == 403
    assert "contracts/new" not in (await client.get(f"/staff/suppliers/{supplier_id}")).text


async def test_a_blank_certification_is_refused_and_one_can_be_changed_and_withdrawn(client):
    from models.tables import Certification

    csrf = await signed_in(client, "procurement")
    supplier_id = await add(client, csrf)
    client.cookies.clear()
    csrf = await signed_in(client, "reviewer", f"/staff/suppliers/{supplier_id}")
    page = await client.get(f"/staff/suppliers/{supplier_id}")
    assert f"/staff/suppliers/{supplier_id}/certifications/new" in page.text
    form = await client.get(f"/staff/suppliers/{supplier_id}/certifications/new")
    assert '<option value="">Choose a scheme</option>' in form.text
    blank = await client.post(f"/staff/suppliers/{supplier_id}/certifications",
                              data={"csrf": csrf, "scheme": ""})
    assert blank.status_code == 400 and 'id="scheme-error"' in blank.text
    assert "Choose a scheme." in blank.text and await Certification.count() == 0
    other = await client.post(f"/staff/suppliers/{supplier_id}/certifications", data={
        "csrf": csrf, "scheme": "other", "certificate_number": "CW-1",
        "expires_on-day": "1", "expires_on-month": "1", "expires_on-year": "2020",
        "issued_on-day": "1", "issued_on-month": "1", "issued_on-year": "2021"})
    assert other.status_code == 400
    assert 'id="scheme_name-error"' in other.text and 'id="expires_on-error"' in other.text
    assert 'value="CW-1"' in other.text and 'value="other" selected' in other.text
    assert "scheme_name" not in other.text.split('<form')[0].replace('href="#scheme_name"', "")
    ok = await client.post(f"/staff/suppliers/{supplier_id}/certifications", data={
        "csrf": csrf, "scheme": "other", "scheme_name": "BS EN 15713",
        "certificate_number": "CW-1"}, follow_redirects=False)
    assert ok.status_code == 303 and await Certification.count() == 1
    cert = await Certification.select().first()
    edit_url = f"/staff/certifications/{cert['id']}/edit"
    form = await client.get(edit_url)
    assert 'value="BS EN 15713"' in form.text
    stale = version_of(form)
    changed = await client.post(edit_url, data={
        "csrf": csrf, "version": stale, "scheme_name": "BS EN 15713:2009",
        "certificate_number": "CW-2", "expires_on-day": "31", "expires_on-month": "3",
        "expires_on-year": "2030"}, follow_redirects=False)
    assert changed.status_code == 303, changed.text
    stored = await Certification.select().where(Certification.id == cert["id"]).first()
    assert stored["certificate_number"] == "CW-2" and str(stored["expires_on"]) == "2030-03-31"
    conflict = await client.post(edit_url, data={"csrf": csrf, "version": stale,
                                                 "scheme_name": "Late"})
    assert conflict.status_code == 409 and "Someone else changed this certification" in conflict.text
    withdraw = f"/staff/certifications/{cert['id']}/withdraw"
    assert (await client.get(withdraw)).status_code == 200
    assert (await client.post(withdraw, data={"csrf": csrf})).status_code == 400
    done = await client.post(withdraw, data={"csrf": csrf, "confirm": "archive"},
                             follow_redirects=False)
    assert done.status_code == 303
    assert (await Certification.select().where(Certification.id == cert["id"]).first()
            )["archived_at"] is not None
    assert await AuditEvent.exists().where(AuditEvent.action == "certification.archived")
    client.cookies.clear()
    csrf = await signed_in(client, "auditor", f"/staff/suppliers/{supplier_id}")
    assert (await client.get(edit_url)).status_code == 403
    assert (await client.post(f"/staff/suppliers/{supplier_id}/certifications", data={
        "csrf": csrf, "scheme": "dspt"})).status_code == 403


async def test_a_risk_is_changed_and_closed_from_the_supplier_page(client):
    from models.tables import Risk

    csrf = await signed_in(client, "procurement")
    supplier_id = await add(client, csrf)
    client.cookies.clear()
    csrf = await signed_in(client, "reviewer", f"/staff/suppliers/{supplier_id}")
    logged = await client.post(f"/staff/suppliers/{supplier_id}/risks", data={
        "csrf": csrf, "kind": "incident", "title": "Lost backup tape", "severity": "high"},
        follow_redirects=False)
    assert logged.status_code == 303
    risk = await Risk.select().first()
    page = await client.get(f"/staff/suppliers/{supplier_id}")
    assert f"/staff/risks/{risk['id']}/edit" in page.text and "open incident" in page.text
    edit_url = f"/staff/risks/{risk['id']}/edit"
    form = await client.get(edit_url)
    stale = version_of(form)
    bad = await client.post(edit_url, data={"csrf": csrf, "version": stale, "title": "",
                                            "severity": "high", "status": "open",
                                            "owner": "Dana Fox"})
    assert bad.status_code == 400 and 'id="title-error"' in bad.text
    assert "Enter a title." in bad.text and 'value="Dana Fox"' in bad.text
    changed = await client.post(edit_url, data={
        "csrf": csrf, "version": stale, "title": "Lost backup tape", "severity": "medium",
        "status": "open", "owner": "Dana Fox", "mitigation": "Tapes encrypted"},
        follow_redirects=False)
    assert changed.status_code == 303
    stored = await Risk.select().where(Risk.id == risk["id"]).first()
    assert stored["owner"] == "Dana Fox" and stored["severity"] == "medium"
    conflict = await client.post(edit_url, data={"csrf": csrf, "version": stale, "title": "X",
                                                 "severity": "low", "status": "open"})
    assert conflict.status_code == 409 and "Someone else changed this risk" in conflict.text
    close_url = f"/staff/risks/{risk['id']}/close"
    confirm = await client.get(close_url)
    assert confirm.status_code == 200
    stale_close = await client.post(close_url, data={"csrf": csrf, "confirm": "close",
                                                     "version": stale})
    assert stale_close.status_code == 409
    assert (await client.post(close_url, data={"csrf": csrf, "version": version_of(confirm)})
            ).status_code == 400
    closed = await client.post(close_url, data={"csrf": csrf, "confirm": "close",
                                                "version": version_of(confirm)},
                               follow_redirects=False)
    assert closed.status_code == 303
    stored = await Risk.select().where(Risk.id == risk["id"]).first()
    assert stored["status"] == "closed" and stored["closed_on"] is not None
    # The open incident no longer caps the stored rating.
    assert "open incident" not in (await client.get(f"/staff/suppliers/{supplier_id}")).text
    client.cookies.clear()
    csrf = await signed_in(client, "auditor", f"/staff/suppliers/{supplier_id}")
    assert (await client.get(edit_url)).status_code == 403
    assert (await client.post(close_url, data={"csrf": csrf, "confirm": "close",
                                               "version": "1"})).status_code == 403
