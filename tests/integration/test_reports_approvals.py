"""Signing the DSPT evidence pack: versions, one approval per role per version, audited;
the pack as at a date through the API."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
import pytest

from models.tables import AuditEvent, PackApproval
from portal.core import dates, staff
from portal.reports import approvals
from tests import factories
from tests.integration.conftest import SUPPLIER
from tests.net import running_portal

URL = "/api/v1/reports/dspt-evidence/approvals"


async def test_approving_records_the_version_and_hash_and_refuses_a_second_of_the_same_role(
        client, reviewer, procurement, auditor):
    await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)
    block = (await client.get(URL, params={"toolkit": "2025-26"}, headers=auditor)).json()
    assert (block["version"], block["approved"], block["approvals"]) == (1, False, [])

    body = {"toolkit": "2025-26", "role": "ig_lead", "approver_name": "  Priya   Shah "}
    first = await client.post(URL, json=body, headers=reviewer)
    assert first.status_code == 201, first.text
    signed = first.json()
    assert (signed["version"], signed["role_label"], signed["approver_name"]) == (1, "IG lead",
                                                                                "Priya Shah")
    assert signed["manifest_sha256"] == block["manifest_sha256"]
    again = await client.post(URL, json=body, headers=reviewer)
    assert again.status_code == 409 and "already approved by the IG lead" in again.text
    siro = await client.post(URL, json={**body, "role": "siro", "approver_name": "Tom Ward"},
                             headers=reviewer)
    assert siro.status_code == 201 and siro.json()["version"] == 1
    block = (await client.get(URL, params={"toolkit": "2025-26"}, headers=auditor)).json()
    assert block["approved"] and [a["role"] for a in block["approvals"]] == ["ig_lead", "siro"]
    event = await AuditEvent.select().where(AuditEvent.action == "pack.approved").first()
    assert json.loads(event["after"])["manifest_sha256"] == signed["manifest_sha256"]

    # the records change: the pack is a new version, unsigned until someone approves it
    await client.post("/api/v1/suppliers", json={**SUPPLIER, "name": "Another Ltd"},
                      headers=procurement)
    block = (await client.get(URL, params={"toolkit": "2025-26"}, headers=auditor)).json()
    assert (block["version"], block["approved"]) == (2, False)
    assert (await client.post(URL, json=body, headers=reviewer)).json()["version"] == 2
    # another year counts its own versions
    other = await client.post(URL, json={**body, "toolkit": "2023-24"}, headers=reviewer)
    assert other.json()["version"] == 1


async def test_approval_input_is_checked_in_words(client, reviewer, procurement, auditor):
    await client.post("/api/v1/suppliers", json=SUPPLIER, headers=procurement)
    base = {"toolkit": "2025-26", "role": "ig_lead", "approver_name": "Priya Shah"}
    assert (await client.post(URL, json=base, headers=procurement)).status_code == 403
    assert (await client.post(URL, json=base, headers=auditor)).status_code == 403
    bad_role = await client.post(URL, json={**base, "role": "ceo"}, headers=reviewer)
    assert bad_role.status_code == 400
    blank = await client.post(URL, json={**base, "approver_name": "   "}, headers=reviewer)
    assert blank.status_code == 400
    unknown = await client.post(URL, json={**base, "toolkit": "1999-00"}, headers=reviewer)
    assert unknown.status_code == 400 and "Unknown toolkit year" in unknown.text
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    later = await client.post(URL, json={**base, "as_at": future}, headers=reviewer)
    assert later.status_code == 400 and "in the future" in later.text
    assert await PackApproval.count() == 0


async def test_pack_as_at_a_date_through_the_api(client, procurement, auditor, monkeypatch):
    real = dates.now
    last_week = real() - dt.timedelta(days=7)
    monkeypatch.setattr(dates, "now", lambda: last_week)
    supplier = await factories.supplier(name="Earlier Name Ltd")
    monkeypatch.setattr(dates, "now", real)
    await client.patch(f"/api/v1/suppliers/{supplier['id']}", json={"name": "Later Name Ltd"},
                       headers=procurement)
    url = "/api/v1/reports/dspt-evidence.docx"
    day = last_week.astimezone(dates.UK).date()
    response = await client.get(url, params={"toolkit": "2025-26", "as_at": day.isoformat()},
                                headers=auditor)
    assert response.status_code == 200, response.text
    assert f"as-at-{day:%Y%m%d}" in response.headers["content-disposition"]
    from io import BytesIO

    from docx import Document

    text = "\n".join(p.text for p in Document(BytesIO(response.content)).paragraphs)
    assert f"end of {day:%d %B %Y}" in text
    for value, words in (("30-06-2026", "is not a date"), ("2026-02-30", "is not a date"),
                         ((dt.date.today() + dt.timedelta(days=1)).isoformat(), "in the future")):
        bad = await client.get(url, params={"toolkit": "2025-26", "as_at": value}, headers=auditor)
        assert bad.status_code == 400 and words in bad.text, (value, bad.text)


async def test_pack_as_at_a_day_before_the_first_record_says_so_on_its_cover(
        client, procurement, auditor):
    """A portal set up after a deadline: the earlier year's pack as at that deadline is built
    (not refused), says the records begin later, and counts what was entered later that
    describes that time."""
    today = dates.uk_today()
    deadline = dt.date(today.year if today.month > 6 else today.year - 1, 6, 30)
    from portal.core.organisation import OrganisationPatch, update_organisation

    await update_organisation(OrganisationPatch(name="Set Up Late NHS Trust", dspt_category=1))
    supplier = await factories.supplier(name="Entered Late Ltd")
    await factories.contract(supplier["id"], start_date=deadline - dt.timedelta(days=100))
    await factories.contract(supplier["id"], title="Started after the deadline",
                             start_date=deadline + dt.timedelta(days=1))
    await factories.certification(supplier["id"], issued_on=deadline - dt.timedelta(days=10))
    response = await client.get("/api/v1/reports/dspt-evidence.docx",
                                params={"toolkit": "2025-26", "as_at": deadline.isoformat()},
                                headers=auditor)
    assert response.status_code == 200, response.text
    from io import BytesIO

    from docx import Document

    document = Document(BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert (f"The portal's records begin on {today:%d %B %Y}, so as at {deadline:%d %B %Y} it "
            "held none.") in text
    assert ("describe that time: 1 contract that had started by "
            f"{deadline:%d %B %Y} and 1 certificate issued by then.") in text
    assert "no audit history" not in text  # the profile entered today is not "as it is now"
    assert "Set Up Late NHS Trust" in document.sections[0].header.paragraphs[0].text
    assert "Entered Late Ltd" not in text + "".join(c.text for t in document.tables
                                                   for r in t.rows for c in r.cells)
    block = await client.get(URL, params={"toolkit": "2025-26", "as_at": deadline.isoformat()},
                             headers=auditor)
    assert block.status_code == 200 and block.json()["as_at"] == deadline.isoformat()


@pytest.fixture(scope="module")
def server():
    with running_portal(workers=2) as base:
        yield base


async def test_two_approvals_of_the_same_role_at_once_make_one(server):
    await factories.supplier(name="Race Ltd")
    token = (await staff.create_token(name="race-reviewer", role="reviewer")).token
    headers = {"Authorization": f"Bearer {token}"}
    body = {"toolkit": "2025-26", "role": "siro", "approver_name": "Tom Ward"}
    start = asyncio.Event()
    limits = httpx.Limits(max_connections=6, max_keepalive_connections=6)
    async with httpx.AsyncClient(base_url=server, timeout=60, limits=limits) as http:
        async def one():
            await start.wait()
            return await http.post(URL, json=body, headers=headers)
        tasks = [asyncio.create_task(one()) for _ in range(6)]
        await asyncio.sleep(0.2)
        start.set()
        answers = await asyncio.gather(*tasks)
    assert sorted(r.status_code for r in answers) == [201] + [409] * 5, [r.text for r in answers]
    assert await PackApproval.count() == 1
    block = await approvals.approval_block(toolkit="2025-26")
    assert block["approved"] and block["version"] == 1
