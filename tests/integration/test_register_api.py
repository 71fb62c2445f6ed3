"""The supplier register over HTTP, as an integrator or procurement officer uses it."""

from __future__ import annotations

import json

from models.tables import AuditEvent, ProductService
from tests.integration.conftest import SUPPLIER, contract_body


async def create_supplier(client, headers, **overrides) -> dict:
    response = await client.post("/api/v1/suppliers", json={**SUPPLIER, **overrides},
                                 headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_register_a_supplier_and_read_it_back(client, procurement):
    created = await create_supplier(client, procurement)
    assert created["id"] > 0
    assert created["ods_code"] == "8JD12"  # normalised
    assert created["version"] == 1
    response = await client.get(f"/api/v1/suppliers/{created['id']}", headers=procurement)
    assert response.status_code == 200
    assert response.json()["legal_name"] == "Meridian Health Records Ltd"


async def test_list_searches_and_pages(client, procurement):
    for name in ["Alpha Pathology", "Beta Hosting", "Gamma Pathology Labs"]:
        await create_supplier(client, procurement, name=name, ods_code="")
    response = await client.get("/api/v1/suppliers", params={"q": "patho", "limit": 1},
                                headers=procurement)
    body = response.json()
    assert response.status_code == 200
    assert body["total"] == 2
    assert [s["name"] for s in body["items"]] == ["Alpha Pathology"]
    second = await client.get("/api/v1/suppliers",
                              params={"q": "patho", "limit": 1, "offset": 1}, headers=procurement)
    assert [s["name"] for s in second.json()["items"]] == ["Gamma Pathology Labs"]


async def test_bad_paging_is_a_400_naming_the_parameter(client, procurement):
    for params in ({"limit": 0}, {"limit": 100000}, {"offset": -1}, {"limit": "ten"}):
        response = await client.get("/api/v1/suppliers", params=params, headers=procurement)
        assert response.status_code == 400, params
        assert list(params)[0] in response.json()["detail"]


async def test_malformed_json_is_a_400(client, procurement):
    response = await client.post("/api/v1/suppliers", content=b"{not json",
                                 headers={**procurement, "content-type": "application/json"})
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


async def test_invalid_fields_are_named(client, procurement):
    response = await client.post("/api/v1/suppliers", headers=procurement, json={
        "name": "", "handles_personal_data": "yes", "website": "not a url",
        "companies_house_number": "12", "surprise": 1})
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"name", "handles_personal_data", "website", "companies_house_number", "surprise",
            "handles_patient_data", "affects_care"} <= fields


async def test_unknown_and_out_of_range_ids(client, procurement):
    assert (await client.get("/api/v1/suppliers/999", headers=procurement)).status_code == 404
    assert (await client.get("/api/v1/suppliers/99999999999",
                             headers=procurement)).status_code == 400
    assert (await client.get("/api/v1/contracts/999", headers=procurement)).status_code == 404
    assert (await client.patch("/api/v1/suppliers/999", json={"name": "x"},
                               headers=procurement)).status_code == 404


async def test_patch_changes_only_what_is_sent_and_refuses_null(client, procurement):
    created = await create_supplier(client, procurement)
    url = f"/api/v1/suppliers/{created['id']}"
    response = await client.patch(url, json={"website": "https://new.example.com"},
                                  headers=procurement)
    assert response.status_code == 200
    assert response.json()["name"] == SUPPLIER["name"]
    assert response.json()["version"] == 2
    assert (await client.patch(url, json={"name": None}, headers=procurement)).status_code == 400


async def test_second_editor_with_a_stale_version_gets_409_not_an_overwrite(client, procurement):
    created = await create_supplier(client, procurement)
    url = f"/api/v1/suppliers/{created['id']}"
    first = await client.patch(url, json={"name": "First editor", "version": 1}, headers=procurement)
    assert first.status_code == 200
    second = await client.patch(url, json={"name": "Second editor", "version": 1},
                                headers=procurement)
    assert second.status_code == 409
    assert second.json()["current_version"] == 2
    assert (await client.get(url, headers=procurement)).json()["name"] == "First editor"


async def test_delete_archives_and_list_hides_archived(client, procurement):
    created = await create_supplier(client, procurement)
    url = f"/api/v1/suppliers/{created['id']}"
    response = await client.delete(url, headers=procurement)
    assert response.status_code == 200
    assert response.json()["archived_at"] is not None
    assert (await client.get(url, headers=procurement)).status_code == 200  # still there
    listed = await client.get("/api/v1/suppliers", headers=procurement)
    assert listed.json()["total"] == 0
    everything = await client.get("/api/v1/suppliers", params={"include_archived": "true"},
                                  headers=procurement)
    assert everything.json()["total"] == 1
    contact = await client.post(f"{url}/contacts", json={"name": "A", "email": "a@example.com"},
                                headers=procurement)
    assert contact.status_code == 422


async def test_duplicate_supplier_key_is_a_409(client, procurement):
    await create_supplier(client, procurement, supplier_key="FIN-001")
    response = await client.post("/api/v1/suppliers", json={**SUPPLIER, "supplier_key": "FIN-001"},
                                 headers=procurement)
    assert response.status_code == 409


async def test_contacts_belong_to_their_supplier(client, procurement):
    a = await create_supplier(client, procurement, name="A")
    b = await create_supplier(client, procurement, name="B")
    response = await client.post(f"/api/v1/suppliers/{a['id']}/contacts", headers=procurement,
                                 json={"name": "Helen Carter", "email": "dpo@meridian.example",
                                       "role": "DPO"})
    assert response.status_code == 201
    contact = response.json()
    bad_email = await client.post(f"/api/v1/suppliers/{a['id']}/contacts", headers=procurement,
                                  json={"name": "X", "email": "not-an-email"})
    assert bad_email.status_code == 400
    listed = await client.get(f"/api/v1/suppliers/{a['id']}/contacts", headers=procurement)
    assert [c["name"] for c in listed.json()] == ["Helen Carter"]
    # Reaching A's contact through B's URL finds nothing.
    other = await client.get(f"/api/v1/suppliers/{b['id']}/contacts/{contact['id']}",
                             headers=procurement)
    assert other.status_code == 404
    edited = await client.patch(f"/api/v1/suppliers/{a['id']}/contacts/{contact['id']}",
                                json={"role": "Data protection officer"}, headers=procurement)
    assert edited.json()["role"] == "Data protection officer"


async def test_contract_lifecycle_with_products(client, procurement):
    supplier = await create_supplier(client, procurement)
    response = await client.post("/api/v1/contracts", json=contract_body(supplier["id"]),
                                 headers=procurement)
    assert response.status_code == 201, response.text
    contract = response.json()
    assert contract["products_services"] == ["EPR licence", "Hosting"]
    assert contract["data_role"] == "processor"
    listed = await client.get("/api/v1/contracts", params={"supplier_id": supplier["id"]},
                              headers=procurement)
    assert listed.json()["total"] == 1
    patched = await client.patch(f"/api/v1/contracts/{contract['id']}", headers=procurement,
                                 json={"products_services": ["EPR licence"], "version": 1})
    assert patched.status_code == 200
    assert patched.json()["products_services"] == ["EPR licence"]
    assert patched.json()["version"] == 2  # changing only the products is still a new version
    assert await ProductService.count().where(ProductService.contract == contract["id"]) == 1
    stale = await client.patch(f"/api/v1/contracts/{contract['id']}", headers=procurement,
                               json={"products_services": ["Hosting"], "version": 1})
    assert stale.status_code == 409
    archived = await client.delete(f"/api/v1/contracts/{contract['id']}", headers=procurement)
    assert archived.json()["archived_at"] is not None


async def test_contract_rules(client, procurement):
    supplier = await create_supplier(client, procurement)
    cases = [
        contract_body(supplier["id"], end_date="2020-01-01"),
        contract_body(supplier["id"], data_role="owner"),
        contract_body(supplier["id"], personal_data=False, patient_data=True),
        contract_body(supplier["id"], annual_value="-5"),
        contract_body(supplier["id"], start_date="31/12/2025"),
    ]
    for body in cases:
        response = await client.post("/api/v1/contracts", json=body, headers=procurement)
        assert response.status_code == 400, body
    missing = await client.post("/api/v1/contracts", json=contract_body(4242), headers=procurement)
    assert missing.status_code == 404
    created = await client.post("/api/v1/contracts", json=contract_body(supplier["id"]),
                                headers=procurement)
    bad_patch = await client.patch(f"/api/v1/contracts/{created.json()['id']}",
                                   json={"end_date": "2024-01-01"}, headers=procurement)
    assert bad_patch.status_code == 400


async def test_certifications_are_recorded_by_reviewers(client, procurement, reviewer):
    supplier = await create_supplier(client, procurement)
    body = {"supplier_id": supplier["id"], "scheme": "iso27001", "edition": "2022",
            "certificate_number": "IS 123456", "certification_body": "BSI",
            "issued_on": "2025-01-10", "expires_on": "2028-01-09"}
    assert (await client.post("/api/v1/certifications", json=body,
                              headers=procurement)).status_code == 403
    response = await client.post("/api/v1/certifications", json=body, headers=reviewer)
    assert response.status_code == 201
    assert response.json()["verification"] == "self_declared"
    wrong_scheme = await client.post("/api/v1/certifications", headers=reviewer,
                                     json={**body, "scheme": "iso9001"})
    assert wrong_scheme.status_code == 400
    listed = await client.get("/api/v1/certifications", params={"supplier_id": supplier["id"]},
                              headers=reviewer)
    assert listed.json()["total"] == 1


async def test_every_write_is_audited_with_who_and_before_after(client, procurement):
    supplier = await create_supplier(client, procurement)
    await client.patch(f"/api/v1/suppliers/{supplier['id']}", json={"name": "Renamed"},
                       headers=procurement)
    events = await AuditEvent.select().where(AuditEvent.target_type == "supplier") \
        .order_by(AuditEvent.id)
    assert [e["action"] for e in events] == ["supplier.created", "supplier.updated"]
    assert events[0]["actor"] == "token:test-procurement"
    assert events[0]["actor_type"] == "token"
    assert events[1]["supplier_id"] == supplier["id"]
    assert json.loads(events[1]["before"]) == {"name": SUPPLIER["name"]}
    assert json.loads(events[1]["after"]) == {"name": "Renamed"}
    assert events[1]["request_id"]


async def test_a_refused_write_leaves_no_audit_event(client, procurement):
    supplier = await create_supplier(client, procurement)
    before = await AuditEvent.count()
    response = await client.patch(f"/api/v1/suppliers/{supplier['id']}",
                                  json={"name": "Stale", "version": 7}, headers=procurement)
    assert response.status_code == 409
    assert await AuditEvent.count() == before
