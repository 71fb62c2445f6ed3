"""Sub-processors and where a supplier holds our data: recorded through the API and the
workspace, audited, refused in words when wrong (CAF A4.a NA2/NA6, UK GDPR Art 28(2))."""

from __future__ import annotations

import re

from models.tables import AuditEvent, SubProcessor
from tests import factories
from tests.integration.conftest import SUPPLIER, contract_body, staff_session


async def create_supplier(client, headers) -> dict:
    response = await client.post("/api/v1/suppliers", json=SUPPLIER, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_sub_processors_over_the_api_are_audited_and_end_without_being_lost(
        client, procurement):
    supplier = await create_supplier(client, procurement)
    url = f"/api/v1/suppliers/{supplier['id']}/subprocessors"
    created = await client.post(url, headers=procurement, json={
        "name": "Skyhost Cloud", "service": "hosting", "location": "United States",
        "transfer_mechanism": "idta", "tra_reference": "TRA-7", "since": "2025-04-01"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["supplier_id"] == supplier["id"] and body["transfer_mechanism"] == "idta"
    ended = await client.patch(f"/api/v1/subprocessors/{body['id']}", headers=procurement,
                               json={"until": "2020-01-01", "version": 1})
    assert ended.status_code == 400 and "until" in ended.text  # before it started
    ended = await client.patch(f"/api/v1/subprocessors/{body['id']}", headers=procurement,
                               json={"until": "2026-01-31", "version": 1})
    assert ended.status_code == 200 and ended.json()["version"] == 2
    stale = await client.patch(f"/api/v1/subprocessors/{body['id']}", headers=procurement,
                               json={"name": "Other", "version": 1})
    assert stale.status_code == 409
    assert (await client.get(url, headers=procurement)).json() == []
    everything = (await client.get(url, params={"include_ended": "true"},
                                   headers=procurement)).json()
    assert [p["name"] for p in everything] == ["Skyhost Cloud"]
    actions = await AuditEvent.select(AuditEvent.action, AuditEvent.supplier_id).where(
        AuditEvent.target_type == "sub_processor")
    assert {a["action"] for a in actions} == {"subprocessor.created", "subprocessor.updated"}
    assert {a["supplier_id"] for a in actions} == {supplier["id"]}


async def test_bad_sub_processor_input_is_a_4xx(client, procurement):
    supplier = await create_supplier(client, procurement)
    url = f"/api/v1/suppliers/{supplier['id']}/subprocessors"
    for body in ({}, {"name": ""}, {"name": "X", "transfer_mechanism": "pinky-promise"},
                 {"name": "X", "since": "yesterday"}):
        response = await client.post(url, headers=procurement, json=body)
        assert response.status_code == 400, body
    assert (await client.post("/api/v1/suppliers/999999/subprocessors", headers=procurement,
                              json={"name": "X"})).status_code == 404
    assert await SubProcessor.count() == 0


async def test_contract_records_where_data_is_held_and_the_transfer_safeguard(
        client, procurement):
    supplier = await create_supplier(client, procurement)
    created = await client.post("/api/v1/contracts", headers=procurement, json={
        **contract_body(supplier["id"]), "data_locations": "India",
        "transfer_mechanism": "none", "access_monitored": True,
        "processing_subject_matter": "Hosting the patient record"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["transfer_mechanism"] == "none" and body["access_monitored"] is True
    assert body["third_party_connection"] is False and body["connection_assured"] is False
    changed = await client.patch(f"/api/v1/contracts/{body['id']}", headers=procurement,
                                 json={"transfer_mechanism": "idta", "tra_reference": "TRA-1",
                                       "version": body["version"]})
    assert changed.status_code == 200 and changed.json()["tra_reference"] == "TRA-1"
    refused = await client.patch(f"/api/v1/contracts/{body['id']}", headers=procurement,
                                 json={"transfer_mechanism": "maybe"})
    assert refused.status_code == 400


async def test_workspace_adds_and_changes_a_sub_processor_keeping_what_was_typed(client):
    supplier = await factories.supplier()
    client.cookies.set("id", await staff_session("procurement", username="proc-subs"))
    form = await client.get(f"/staff/suppliers/{supplier['id']}/subprocessors/new")
    assert form.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]
    bad = await client.post(f"/staff/suppliers/{supplier['id']}/subprocessors/new", data={
        "csrf": csrf, "name": "", "location": "Ireland", "transfer_mechanism": "adequacy",
        "since-day": "31", "since-month": "2", "since-year": "2025"})
    assert bad.status_code == 400
    assert "Enter the sub-processor&#39;s name." in bad.text or \
        "Enter the sub-processor's name." in bad.text
    assert "Enter a real date" in bad.text and 'value="Ireland"' in bad.text
    good = await client.post(f"/staff/suppliers/{supplier['id']}/subprocessors/new", data={
        "csrf": csrf, "name": "Emerald Backups", "location": "Ireland",
        "transfer_mechanism": "adequacy", "since-day": "1", "since-month": "4",
        "since-year": "2025"}, follow_redirects=False)
    assert good.status_code == 303, good.text
    row = await SubProcessor.select().first()
    assert row["name"] == "Emerald Backups" and row["since"].isoformat() == "2025-04-01"
    page = await client.get(f"/staff/suppliers/{supplier['id']}")
    assert "Emerald Backups" in page.text and "adequacy regulations" in page.text
    edit = await client.get(f"/staff/subprocessors/{row['id']}/edit")
    assert 'value="Emerald Backups"' in edit.text
    changed = await client.post(f"/staff/subprocessors/{row['id']}/edit", data={
        "csrf": csrf, "version": "1", "name": "Emerald Backups", "location": "United States",
        "transfer_mechanism": "none", "service": "", "data_processed": "", "tra_reference": "",
        "notes": ""}, follow_redirects=False)
    assert changed.status_code == 303, changed.text
    assert (await SubProcessor.select().first())["transfer_mechanism"] == "none"
    auditor = await client.get(f"/staff/subprocessors/{row['id']}/edit",
                               cookies={"id": await staff_session("auditor", username="aud-s")})
    assert auditor.status_code == 403
