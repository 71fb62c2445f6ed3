"""A double press of Send, and two workers sending one campaign's batches at once, against a
real server with two worker processes (PostgreSQL with PORTAL_TEST_DATABASE_URL, else SQLite):
one campaign, each supplier sent the questionnaire once."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import httpx
import pytest

from models.tables import Assessment, Campaign, CampaignMember, OutboundEmail
from portal.assessments import campaigns
from portal.assessments.campaign_rules import BUNDLE
from portal.staff.auth import CSRF_COOKIE
from tests import factories
from tests.integration.conftest import staff_session
from tests.integration.journeys import CORE
from tests.net import running_portal

TOGETHER = 6
CSRF = "c" * 43


@pytest.fixture(scope="module")
def server():
    with running_portal(workers=2, PORTAL_LOG_LEVEL="WARNING") as base:
        yield base


async def suppliers(n: int) -> list[dict]:
    made = []
    for i in range(n):
        supplier = await factories.supplier(name=f"Race {i}")
        await factories.contact(supplier["id"])
        made.append(supplier)
    return made


async def signed_in(server: str) -> httpx.AsyncClient:
    token = await staff_session("procurement", username="race-procurement")
    http = httpx.AsyncClient(base_url=server, timeout=120)
    http.cookies.set("id", token)
    http.cookies.set(CSRF_COOKIE, CSRF)
    return http


async def test_a_double_press_of_send_makes_one_campaign_and_sends_once(server):
    await suppliers(4)
    http = await signed_in(server)
    due = dt.date.today() + dt.timedelta(days=30)
    form = {"csrf": CSRF, "name": "Double click", "questionnaire": CORE, "skip_open": "1",
            "due_date-day": str(due.day), "due_date-month": str(due.month),
            "due_date-year": str(due.year)}
    async with http:
        preview = await http.post("/staff/campaigns/new", data={**form, "action": "preview"})
        assert preview.status_code == 200, preview.text
        key = re.search(r'name="request_key" value="([^"]+)"', preview.text).group(1)
        previewed = re.search(r'name="previewed" value="([^"]+)"', preview.text).group(1)
        presses = await asyncio.gather(*[
            http.post("/staff/campaigns/new", data={**form, "action": "send", "request_key": key,
                                                    "previewed": previewed})
            for _ in range(TOGETHER)])
    assert {p.status_code for p in presses} == {303}, [p.text[:300] for p in presses]
    assert len({p.headers["location"] for p in presses}) == 1
    assert await Campaign.count() == 1
    assert await CampaignMember.count() == 4 and await Assessment.count() == 4
    assert await OutboundEmail.count() == 4


async def test_two_workers_sending_batches_at_once_send_each_supplier_once(server):
    await suppliers(8)
    campaign_id, _ = await campaigns.create(
        name="Batches at once", questionnaire=CORE, rule=campaigns.filter_from({}),
        due_date=dt.date.today() + dt.timedelta(days=30), request_key="race-batches-1",
        created_by="test")
    http = await signed_in(server)
    async with http:
        results = await asyncio.gather(*[
            http.post(f"/staff/campaigns/{campaign_id}/send", data={"csrf": CSRF})
            for _ in range(TOGETHER)])
    assert {r.status_code for r in results} == {303}, [r.text[:300] for r in results]
    assert await Assessment.count() == 8
    rows = await CampaignMember.select(CampaignMember.status, CampaignMember.assessment).where(
        CampaignMember.campaign == campaign_id)
    assert {r["status"] for r in rows} == {"sent"}
    assert len({r["assessment"] for r in rows}) == 8
    assert (await Campaign.select(Campaign.status).first())["status"] == "sent"


async def tiered(n: int) -> list[dict]:
    """Critical suppliers (patient data): each tier's bundle is two questionnaires."""
    made = []
    for i in range(n):
        supplier = await factories.supplier(name=f"Bundle race {i}", handles_patient_data=True)
        await factories.contact(supplier["id"])
        made.append(supplier)
    return made


async def test_a_double_press_of_send_for_a_tier_bundle_sends_each_questionnaire_once(server):
    await tiered(3)
    http = await signed_in(server)
    due = dt.date.today() + dt.timedelta(days=30)
    form = {"csrf": CSRF, "name": "Bundle double click", "questionnaire": BUNDLE,
            "skip_open": "1", "due_date-day": str(due.day), "due_date-month": str(due.month),
            "due_date-year": str(due.year)}
    async with http:
        preview = await http.post("/staff/campaigns/new", data={**form, "action": "preview"})
        assert preview.status_code == 200, preview.text
        key = re.search(r'name="request_key" value="([^"]+)"', preview.text).group(1)
        previewed = re.search(r'name="previewed" value="([^"]+)"', preview.text).group(1)
        presses = await asyncio.gather(*[
            http.post("/staff/campaigns/new", data={**form, "action": "send", "request_key": key,
                                                    "previewed": previewed})
            for _ in range(TOGETHER)])
    assert {p.status_code for p in presses} == {303}, [p.text[:300] for p in presses]
    assert len({p.headers["location"] for p in presses}) == 1
    assert await Campaign.count() == 1
    assert await CampaignMember.count() == 6 and await Assessment.count() == 6
    assert await OutboundEmail.count() == 6


async def test_two_workers_sending_a_bundle_send_each_questionnaire_once(server):
    made = await tiered(5)
    campaign_id, _ = await campaigns.create(
        name="Bundle batches", questionnaire=BUNDLE, rule=campaigns.filter_from({}),
        due_date=dt.date.today() + dt.timedelta(days=30), request_key="race-bundle-1",
        created_by="test")
    assert await CampaignMember.count().where(CampaignMember.campaign == campaign_id) == 10
    again = await campaigns.create(
        name="Bundle batches", questionnaire=BUNDLE, rule=campaigns.filter_from({}),
        due_date=dt.date.today() + dt.timedelta(days=30), request_key="race-bundle-1",
        created_by="test")
    assert again == (campaign_id, False) and await CampaignMember.count() == 10
    http = await signed_in(server)
    async with http:
        results = await asyncio.gather(*[
            http.post(f"/staff/campaigns/{campaign_id}/send", data={"csrf": CSRF})
            for _ in range(TOGETHER)])
    assert {r.status_code for r in results} == {303}, [r.text[:300] for r in results]
    got = await Assessment.select(Assessment.supplier, Assessment.definition.key.as_alias("key"))
    pairs = [(r["supplier"], r["key"]) for r in got]
    assert len(pairs) == 10 and len(set(pairs)) == 10
    assert {s for s, _ in pairs} == {s["id"] for s in made}
    rows = await CampaignMember.select(CampaignMember.status).where(
        CampaignMember.campaign == campaign_id)
    assert {r["status"] for r in rows} == {"sent"}
    assert (await Campaign.select(Campaign.status).first())["status"] == "sent"


async def test_the_unique_index_refuses_a_second_row_for_the_same_questionnaire():
    supplier = (await tiered(1))[0]
    campaign_id, _ = await campaigns.create(
        name="Once", questionnaire=BUNDLE, rule=campaigns.filter_from({}),
        due_date=dt.date.today() + dt.timedelta(days=30), request_key="race-bundle-2",
        created_by="test")
    row = await CampaignMember.select().where(CampaignMember.campaign == campaign_id).first()
    with pytest.raises(Exception):  # noqa: B017 - the engine's own IntegrityError
        await CampaignMember.insert(CampaignMember(
            campaign=campaign_id, supplier=supplier["id"], definition_key=row["definition_key"],
            contact=row["contact"], status="pending"))
