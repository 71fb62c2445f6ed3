"""The back office at /admin/: same role rules as the API, no hard deletes, audited edits."""

from __future__ import annotations

import json

from models.tables import AuditEvent, Supplier
from tests.integration.conftest import staff_session

CSRF = "test-csrf-token-value"


async def admin_client(client, role: str):
    token = await staff_session(role, username=f"admin-{role}")
    client.cookies.set("id", token)
    client.cookies.set("csrftoken", CSRF)
    return {"X-CSRFToken": CSRF}


async def a_supplier() -> int:
    row = Supplier(name="Northgate Cloud Hosting", handles_personal_data=True)
    await row.save()
    return row.id


async def test_every_staff_role_can_read_the_back_office(client):
    await a_supplier()
    headers = await admin_client(client, "auditor")
    response = await client.get("/admin/api/tables/supplier/", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["rows"][0]["name"] == "Northgate Cloud Hosting"


async def test_auditor_cannot_change_anything_in_the_back_office(client):
    supplier_id = await a_supplier()
    headers = await admin_client(client, "auditor")
    patched = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/",
                                 json={"name": "Changed"}, headers=headers)
    assert patched.status_code == 403
    created = await client.post("/admin/api/tables/supplier/", json={"name": "New"},
                                headers=headers)
    assert created.status_code == 403
    assert (await Supplier.select(Supplier.name).first())["name"] == "Northgate Cloud Hosting"


async def test_nothing_is_hard_deleted_from_the_back_office(client):
    supplier_id = await a_supplier()
    headers = await admin_client(client, "admin")
    response = await client.delete(f"/admin/api/tables/supplier/{supplier_id}/", headers=headers)
    assert response.status_code == 405
    assert await Supplier.count() == 1


async def test_back_office_edits_are_audited_and_versioned(client):
    supplier_id = await a_supplier()
    headers = await admin_client(client, "procurement")
    response = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/",
                                  json={"legal_name": "Northgate Cloud Services plc"},
                                  headers=headers)
    assert response.status_code == 200, response.text
    row = await Supplier.select().where(Supplier.id == supplier_id).first()
    assert row["legal_name"] == "Northgate Cloud Services plc"
    assert row["version"] == 2
    # The same service, and so the same audit event, as the API.
    event = await AuditEvent.select().where(AuditEvent.action == "supplier.updated").first()
    assert event["actor"] == "admin-procurement"
    assert json.loads(event["after"]) == {"legal_name": "Northgate Cloud Services plc"}
    assert json.loads(event["before"]) == {"legal_name": ""}


async def test_procurement_cannot_edit_tables_outside_its_role(client):
    headers = await admin_client(client, "procurement")
    response = await client.post("/admin/api/tables/audit_event/",
                                 json={"action": "forged"}, headers=headers)
    assert response.status_code == 405  # no service writes the audit trail by hand
    assert await AuditEvent.count().where(AuditEvent.action == "forged") == 0


async def test_back_office_queries_it_cannot_use_are_400_not_500(client):
    await a_supplier()
    headers = await admin_client(client, "auditor")
    for query in ("?__order=;drop", "?__order=-nonexistent", "?__page=99999999999999999999",
                  "?__page=-1", "?__page_size=abc", "?id=99999999999999999999"):
        response = await client.get(f"/admin/api/tables/supplier/{query}", headers=headers)
        assert response.status_code == 400, (query, response.text)
        assert "Invalid request" in response.json()["detail"]
    huge = await client.get("/admin/api/tables/supplier/99999999999999999999/", headers=headers)
    assert huge.status_code == 400
    fine = await client.get("/admin/api/tables/supplier/?__order=-name&__page=1", headers=headers)
    assert fine.status_code == 200


async def test_back_office_edits_are_atomic_with_their_audit_and_refuse_stale_versions(client):
    supplier_id = await a_supplier()
    headers = await admin_client(client, "procurement")
    first = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/",
                               json={"name": "Renamed once", "version": 1}, headers=headers)
    assert first.status_code == 200, first.text
    stale = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/",
                               json={"name": "Renamed from an old screen", "version": 1},
                               headers=headers)
    # Plain words, which piccolo-admin shows as they are (a JSON object it shows as raw JSON).
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    row = await Supplier.select(Supplier.name, Supplier.version).where(Supplier.id == supplier_id).first()
    assert row == {"name": "Renamed once", "version": 2}
    audited = await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.action == "supplier.updated")
    assert len(audited) == 1  # the refused edit left no event behind
    # A create the database refuses (a duplicate key) leaves no "created" event either.
    await Supplier.update({Supplier.supplier_key: "DUP-1"}).where(Supplier.id == supplier_id)
    duplicate = await client.post("/admin/api/tables/supplier/", headers=headers,
                                  json={"name": "Another", "supplier_key": "DUP-1"})
    assert 400 <= duplicate.status_code < 500, duplicate.text
    assert await AuditEvent.count().where(AuditEvent.action == "supplier.created") == 0
    assert await Supplier.count() == 1


async def test_back_office_never_shows_secret_hashes(client):
    from models.tables import ApiToken
    from portal.core import staff

    await staff.create_token(name="sync", role="procurement")
    headers = await admin_client(client, "admin")
    rows = (await client.get("/admin/api/tables/api_token/", headers=headers)).json()["rows"]
    assert rows and all(not row.get("token_hash") for row in rows)
    assert await ApiToken.count() == 1


async def test_back_office_writes_with_values_the_database_cant_take_are_4xx(client):
    supplier_id = await a_supplier()
    headers = await admin_client(client, "admin")
    bodies = [{"name": None}, {"name": "x" * 5000}, {"handles_personal_data": "maybe"},
              {"created_at": "not a date"}, {"id": supplier_id + 100},
              {"supplier_key": "nul\u0000byte"}, {"name": "x", "version": 99999999999999999}]
    for body in bodies:
        response = await client.patch(f"/admin/api/tables/supplier/{supplier_id}/", json=body,
                                      headers=headers)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text)
    for body in ({}, {"name": "No legal name", "legal_name": None}):
        response = await client.post("/admin/api/tables/supplier/", json=body, headers=headers)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text)
    row = await Supplier.select(Supplier.id, Supplier.name, Supplier.supplier_key).first()
    assert row == {"id": supplier_id, "name": "Northgate Cloud Hosting", "supplier_key": None}
    assert await AuditEvent.count().where(AuditEvent.action.like("supplier.%")) == 0
