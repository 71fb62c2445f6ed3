"""Issue 11 through the API: tier inputs, gates, the breach window set by hand, knock-outs,
SIRO acceptances and certificate verification move the stored score and its reasons."""

from __future__ import annotations

from tests.integration.conftest import SUPPLIER, contract_body


async def _score(client, headers, supplier_id):
    response = await client.get(f"/api/v1/suppliers/{supplier_id}/score", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_access_and_supplier_type_are_recorded_and_set_the_tier(client, procurement, reviewer):
    body = {**SUPPLIER, "handles_personal_data": False, "handles_patient_data": False,
            "affects_care": False, "supplier_type": "it_service", "name": "Northgate Managed IT"}
    supplier = (await client.post("/api/v1/suppliers", json=body, headers=procurement)).json()
    assert supplier["supplier_type"] == "it_service"
    contract = await client.post("/api/v1/contracts", headers=procurement, json=contract_body(
        supplier["id"], data_role="none", personal_data=False, patient_data=False))
    assert contract.status_code == 201, contract.text
    contract = contract.json()
    assert (contract["system_access"], contract["supports_essential_function"],
            contract["special_category_data"]) == ("none", False, False)
    assert (await _score(client, reviewer, supplier["id"]))["tier"] == "baseline"
    changed = await client.patch(f"/api/v1/contracts/{contract['id']}", headers=procurement,
                                 json={"system_access": "privileged"})
    assert changed.status_code == 200 and changed.json()["system_access"] == "privileged"
    score = await _score(client, reviewer, supplier["id"])
    assert score["tier"] == "critical" and "privileged access" in score["tier_reasons"][0]
    shown = (await client.get(f"/api/v1/suppliers/{supplier['id']}", headers=reviewer)).json()
    assert shown["tier"] == "critical"
    bad = await client.patch(f"/api/v1/contracts/{contract['id']}", headers=procurement,
                             json={"system_access": "godmode"})
    assert bad.status_code == 400
    bad = await client.patch(f"/api/v1/suppliers/{supplier['id']}", headers=procurement,
                             json={"supplier_type": "robot"})
    assert bad.status_code == 400


async def test_breach_hours_set_by_hand_and_article_28_not_applicable_refused(client, procurement,
                                                                                reviewer):
    supplier = (await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)).json()
    contract = (await client.post("/api/v1/contracts", headers=procurement,
                                  json=contract_body(supplier["id"]))).json()
    url = f"/api/v1/contracts/{contract['id']}/clauses"
    refused = await client.put(f"{url}/art28.sub_processors", headers=reviewer,
                               json={"status": "not_applicable"})
    assert refused.status_code == 400 and "processor" in refused.text
    slow = await client.put(f"{url}/breach.notification", headers=reviewer,
                            json={"status": "present", "hours": 72})
    assert slow.status_code == 200 and slow.json()["hours"] == 72
    reasons = " ".join(c for k in (await _score(client, reviewer, supplier["id"]))["criteria"]
                       if k["key"] == "contracted" for c in k["reasons"])
    assert "72 hours" in reasons
    fast = await client.put(f"{url}/breach.notification", headers=reviewer,
                            json={"status": "present", "hours": 24})
    assert fast.json()["hours"] == 24
    reasons = " ".join(c for k in (await _score(client, reviewer, supplier["id"]))["criteria"]
                       if k["key"] == "contracted" for c in k["reasons"])
    assert "breach" not in reasons
    immediate = await client.put(f"{url}/breach.notification", headers=reviewer,
                                 json={"status": "present", "immediately": True})
    assert immediate.json()["hours"] == 0
    wrong = await client.put(f"{url}/staff.training", headers=reviewer,
                             json={"status": "present", "hours": 24})
    assert wrong.status_code == 400
    negative = await client.put(f"{url}/breach.notification", headers=reviewer,
                                json={"status": "present", "hours": -1})
    assert negative.status_code == 400


async def test_processing_on_an_expired_contract_is_red(client, procurement, reviewer):
    body = {**SUPPLIER, "handles_patient_data": False, "affects_care": False,
            "name": "Payroll bureau"}
    supplier = (await client.post("/api/v1/suppliers", json=body, headers=procurement)).json()
    await client.post("/api/v1/contracts", headers=procurement, json=contract_body(
        supplier["id"], patient_data=False, start_date="2020-04-01", end_date="2024-03-31",
        notice_date=None))
    score = await _score(client, reviewer, supplier["id"])
    assert score["rating"] == "red"
    assert any("Processing without a contract" in g for g in score["gates"])
