"""A contract upload past the scanner's bounds is a clear 4xx, not a minute of work (issue 10 item 18)."""

from __future__ import annotations

import time

from tests.contract_corpus import docx_bomb, model_clauses
from tests.integration.conftest import SUPPLIER, contract_body

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def _contract(client, procurement) -> dict:
    supplier = (await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)).json()
    return (await client.post("/api/v1/contracts", headers=procurement,
                              json=contract_body(supplier["id"]))).json()


async def test_a_docx_holding_megabytes_of_xml_is_refused_with_a_4xx(client, procurement, reviewer):
    contract = await _contract(client, procurement)
    started = time.perf_counter()
    response = await client.post(f"/api/v1/contracts/{contract['id']}/documents", headers=reviewer,
                                 files={"file": ("contract.docx", docx_bomb(3_500_000), DOCX)})
    assert response.status_code == 400, response.text
    assert "too large to scan" in response.text
    assert time.perf_counter() - started < 5
    listed = (await client.get(f"/api/v1/contracts/{contract['id']}/clauses", headers=reviewer)).json()
    assert listed["scanned_at"] is None  # nothing was recorded


async def test_an_immediate_breach_window_is_stored_as_full_credit(client, procurement, reviewer):
    contract = await _contract(client, procurement)
    response = await client.post(f"/api/v1/contracts/{contract['id']}/documents", headers=reviewer,
                                 files={"file": ("contract.docx", model_clauses().data, DOCX)})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["breach_notification_hours"] == 0  # 0 hours: "immediately"
    breach = next(c for c in body["clauses"] if c["key"] == "breach.notification")
    assert breach["status"] == "present" and "immediately" in breach["note"]
