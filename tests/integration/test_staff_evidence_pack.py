"""The workspace's evidence pack screen: see the version, approve it, errors beside the field."""

from __future__ import annotations

import datetime as dt

from models.tables import PackApproval
from tests.integration.conftest import SUPPLIER
from tests.integration.journeys import csrf_of, sign_in


async def test_reviewer_approves_the_current_version_from_the_workspace(client, procurement):
    await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)
    await sign_in(client, "reviewer")
    page = await client.get("/staff/evidence-pack?toolkit=2025-26")
    assert page.status_code == 200 and "Version 1 of the 2025-26 pack" in page.text
    assert "Not yet: this version has not been signed." in page.text
    csrf = csrf_of(page)
    # left blank: both messages, what was typed kept, nothing recorded
    refused = await client.post("/staff/evidence-pack/approve", data={
        "csrf": csrf, "toolkit": "2025-26", "role": "", "approver_name": ""})
    assert refused.status_code == 400
    assert "Choose the role you approve as" in refused.text
    assert "Enter the name of the person approving the pack." in refused.text
    assert await PackApproval.count() == 0
    done = await client.post("/staff/evidence-pack/approve", data={
        "csrf": csrf, "toolkit": "2025-26", "role": "ig_lead", "approver_name": "Priya Shah"})
    assert done.status_code == 303
    page = await client.get(done.headers["location"])
    assert "Approval recorded." in page.text and "Priya Shah (IG lead)" in page.text
    twice = await client.post("/staff/evidence-pack/approve", data={
        "csrf": csrf, "toolkit": "2025-26", "role": "ig_lead", "approver_name": "Priya Shah"})
    assert twice.status_code == 409 and "already approved by the IG lead" in twice.text
    assert 'value="Priya Shah"' in twice.text


async def test_auditor_sees_the_pack_but_cannot_approve(client, procurement):
    await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)
    await sign_in(client, "auditor")
    page = await client.get("/staff/evidence-pack")
    assert page.status_code == 200 and "Approve version" not in page.text
    refused = await client.post("/staff/evidence-pack/approve", data={
        "csrf": csrf_of(page), "toolkit": "2025-26", "role": "siro", "approver_name": "Tom"})
    assert refused.status_code == 403 and await PackApproval.count() == 0


async def test_a_bad_as_at_date_is_explained_beside_the_field(client, procurement):
    await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)
    await sign_in(client, "auditor")
    future = dt.date.today() + dt.timedelta(days=5)
    page = await client.get(f"/staff/evidence-pack?toolkit=2025-26&as_at-day={future.day}"
                            f"&as_at-month={future.month}&as_at-year={future.year}")
    assert page.status_code == 400 and "is in the future" in page.text
    page = await client.get("/staff/evidence-pack?as_at-day=31&as_at-month=2&as_at-year=2026")
    assert page.status_code == 400 and "Enter a real date" in page.text
