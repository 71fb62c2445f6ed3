"""Hostile input from outsiders, suppliers and read-only staff: always a clear 4xx."""

from __future__ import annotations

import pytest

from tests.integration.conftest import SUPPLIER
from tests.integration.journeys import onboard, send


async def test_deeply_nested_json_is_a_400(client, procurement):
    body = b"[" * 50_000 + b"]" * 50_000
    response = await client.post("/api/v1/suppliers", content=body,
                                 headers={**procurement, "content-type": "application/json"})
    assert response.status_code == 400


@pytest.mark.parametrize("url", ["/api/v1/suppliers?q=%00abc", "/health?x=%00"])
async def test_nul_in_the_address_is_a_400(client, procurement, url):
    response = await client.get(url, headers=procurement)
    assert response.status_code == 400


async def test_nul_in_json_text_is_refused_not_stored(client, procurement):
    response = await client.post("/api/v1/suppliers", headers=procurement,
                                 json={**SUPPLIER, "name": "Acme\u0000Ltd"})
    assert response.status_code == 400
    supplier, contact = await onboard(client, procurement)
    _, token = await send(client, procurement, supplier, contact)
    answer = await client.put(f"/api/v1/respond/{token}/answers/legal_name",
                              json={"value": "Bad\u0000name"})
    assert answer.status_code in (400, 422)


@pytest.mark.parametrize("field,value", [("issued_on", "9999-12-31"), ("expires_on", "0001-01-01")])
async def test_dates_no_one_means_are_refused(client, procurement, reviewer, field, value):
    supplier = (await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)).json()
    response = await client.post("/api/v1/certifications", headers=reviewer, json={
        "supplier_id": supplier["id"], "scheme": "cyber_essentials", field: value})
    assert response.status_code == 400


async def test_script_in_names_is_escaped_on_pages(client, procurement):
    from tests.integration.journeys import sign_in

    await client.post("/api/v1/suppliers", headers=procurement,
                      json={**SUPPLIER, "name": "<script>alert(1)</script>"})
    await sign_in(client, "auditor")
    page = await client.get("/staff/suppliers")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_a_json_body_that_is_not_utf8_is_a_400(client, procurement):
    body = b'{"value": "\xff"}'
    headers = {"content-type": "application/json"}
    answer = await client.put("/api/v1/respond/not-a-link/answers/legal_name", content=body,
                              headers=headers)
    assert answer.status_code in (400, 404), answer.text
    created = await client.post("/api/v1/suppliers", content=b'{"name": "\xff"}',
                                headers={**headers, **procurement})
    assert created.status_code == 400, created.text
    assert "UTF-8" in created.json()["detail"]
