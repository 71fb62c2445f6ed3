"""Campaigns through the pages and the API: preview who gets it and who is left out, send
through the single-send service in batches, follow the response rates, chase the overdue."""

from __future__ import annotations

import datetime as dt
import re

from models.tables import (
    Assessment,
    AuditEvent,
    Campaign,
    CampaignMember,
    OutboundEmail,
    SupplierScore,
)
from portal.assessments import campaigns
from portal.assessments.campaign_rules import BUNDLE
from portal.jobs import run_all
from portal.settings import Settings
from tests import factories
from tests.integration.journeys import CORE, csrf_of, sign_in


async def a_portfolio():
    """Three suppliers with a contact, one without, one with the questionnaire open."""
    ready = [await factories.supplier(name=f"Ready {n}") for n in range(3)]
    for s in ready:
        await factories.contact(s["id"])
    nobody = await factories.supplier(name="No Contact Ltd")
    busy = await factories.supplier(name="Busy Ltd")
    contact = await factories.contact(busy["id"])
    await factories.sent_assessment(busy["id"], contact["id"])
    return ready, nobody, busy


def _form(csrf: str, **extra) -> dict:
    due = dt.date.today() + dt.timedelta(days=30)
    return {"csrf": csrf, "name": "Annual reassessment", "questionnaire": CORE,
            "older_than": "11", "skip_open": "1", "due_date-day": str(due.day),
            "due_date-month": str(due.month), "due_date-year": str(due.year), **extra}


async def test_preview_then_send_from_the_pages(client):
    ready, nobody, busy = await a_portfolio()
    await sign_in(client, "procurement")
    assert 'href="/staff/campaigns"' in (await client.get("/staff/")).text
    page = await client.get("/staff/campaigns/new?preset=annual")
    assert page.status_code == 200 and 'name="older_than"' in page.text and 'value="11"' in page.text
    csrf = csrf_of(page)
    # Wrong input: the page again, with what was typed and the messages beside the fields.
    wrong = await client.post("/staff/campaigns/new", data=_form(
        csrf, name="", older_than="lots", **{"due_date-day": "31", "due_date-month": "2"}))
    assert wrong.status_code == 400
    for words in ("Enter a name for the campaign", "whole number from 0 to 120",
                  "The due date must be a real date"):
        assert words in wrong.text
    assert 'value="lots"' in wrong.text and await Campaign.count() == 0
    narrow = await client.post("/staff/campaigns/new", data=_form(
        csrf, action="preview", ratings=["green"], supplier_types=["non_it", "bogus"]))
    assert narrow.status_code == 200 and "0 suppliers get" in narrow.text
    assert 'id="ratings-green" name="ratings" type="checkbox" value="green" checked' in narrow.text
    assert 'value="non_it" checked' in narrow.text and "Send to" not in narrow.text
    preview = await client.post("/staff/campaigns/new", data=_form(csrf, action="preview"))
    assert preview.status_code == 200 and "3 suppliers get" in preview.text
    assert "No Contact Ltd</a>: no active contact" in preview.text
    assert "Busy Ltd</a>: already has this questionnaire open" in preview.text
    assert await Campaign.count() == 0  # a preview sends nothing
    key = re.search(r'name="request_key" value="([^"]+)"', preview.text).group(1)
    previewed = re.search(r'name="previewed" value="([^"]+)"', preview.text).group(1)
    # A filter changed after the preview is previewed again, not sent.
    changed = await client.post("/staff/campaigns/new", data=_form(
        csrf, action="send", request_key=key, previewed=previewed, older_than="1"))
    assert changed.status_code == 200 and "filter changed after the preview" in changed.text
    assert await Campaign.count() == 0
    sent = await client.post("/staff/campaigns/new", data=_form(
        csrf, action="send", request_key=key, previewed=previewed))
    assert sent.status_code == 303, sent.text
    again = await client.post("/staff/campaigns/new", data=_form(
        csrf, action="send", request_key=key, previewed=previewed))  # the second press
    assert again.headers["location"] == sent.headers["location"]
    assert await Campaign.count() == 1
    # The same write path as a single send: audited, mail queued, one assessment each.
    rows = await Assessment.select(Assessment.supplier).where(
        Assessment.supplier.is_in([s["id"] for s in ready]))
    assert sorted(r["supplier"] for r in rows) == sorted(s["id"] for s in ready)
    assert await AuditEvent.count().where(AuditEvent.action == "assessment.sent") == 4
    assert await OutboundEmail.count() == 4
    page = await client.get(sent.headers["location"])
    assert page.status_code == 200 and "Sent to 3 of 3" in page.text and "2 left out" in page.text
    assert "Left out: no active contact" in page.text
    listing = await client.get("/staff/campaigns")
    assert "Annual reassessment" in listing.text and "3 of 3" in listing.text


async def test_big_campaigns_go_in_batches_and_a_rerun_sends_nothing_twice(client, procurement):
    for n in range(5):
        supplier = await factories.supplier(name=f"Batch {n}")
        await factories.contact(supplier["id"])
    campaign_id, created = await campaigns.create(
        name="Batches", questionnaire=CORE, rule=campaigns.filter_from({}),
        due_date=dt.date.today() + dt.timedelta(days=20), request_key="batch-key-1",
        created_by="test")
    assert created
    assert await campaigns.send_batch(campaign_id, limit=2) == 2
    detail = await campaigns.detail(campaign_id)
    assert detail["status"] == "sending" and detail["stats"]["sent"] == 2
    await sign_in(client, "procurement")
    page = await client.get(f"/staff/campaigns/{campaign_id}")
    assert "Sending: 2 of 5 sent" in page.text and "Send the next batch now" in page.text
    # The scheduled jobs carry on (the in-process scheduler, or `portal jobs run`).
    result = await run_all(Settings())
    assert result["campaign_sends"] == 3
    assert await campaigns.send_batch(campaign_id) == 0
    assert await Assessment.count() == 5
    assert (await campaigns.detail(campaign_id))["status"] == "sent"
    assert await campaigns.create(name="Batches", questionnaire=CORE,
                                  rule=campaigns.filter_from({}),
                                  due_date=dt.date.today() + dt.timedelta(days=20),
                                  request_key="batch-key-1", created_by="test") == (campaign_id,
                                                                                    False)


async def test_response_rates_overdue_and_chase_all(client):
    ready, _, _ = await a_portfolio()
    campaign_id, _ = await campaigns.create(
        name="Chasing", questionnaire=CORE, rule=campaigns.filter_from({}),
        due_date=dt.date.today() + dt.timedelta(days=10), request_key="chase-key-1",
        created_by="test")
    await campaigns.send_batch(campaign_id)
    ids = [r["assessment"] for r in await CampaignMember.select(CampaignMember.assessment).where(
        (CampaignMember.campaign == campaign_id) & CampaignMember.assessment.is_not_null())]
    assert len(ids) == 3
    await Assessment.update({Assessment.due_date: dt.date.today() - dt.timedelta(days=2)}).where(
        Assessment.id.is_in(ids[:2]))
    await Assessment.update({Assessment.opened_at: dt.datetime.now(dt.UTC)}).where(
        Assessment.id == ids[0])
    await sign_in(client, "procurement")
    page = await client.get(f"/staff/campaigns/{campaign_id}")
    assert re.search(r'id="overdue">\s*2', page.text) and re.search(r'id="opened">1 \(33%\)', page.text)
    before = await OutboundEmail.count()
    chased = await client.post(f"/staff/campaigns/{campaign_id}/chase-overdue",
                               data={"csrf": csrf_of(page)})
    assert chased.status_code == 303
    assert await OutboundEmail.count() == before + 2
    page = await client.get(chased.headers["location"])
    assert "2 overdue questionnaire(s) chased" in page.text and 'id="chased">2 times' in page.text


async def test_the_campaign_api(client, procurement, auditor):
    await a_portfolio()
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    body = {"name": "Critical first", "questionnaire": CORE, "due_date": due,
            "filter": {"diligence_older_than_months": 11}, "dry_run": True}
    dry = await client.post("/api/v1/campaigns", headers=procurement, json=body)
    assert dry.status_code == 201, dry.text
    assert len(dry.json()["preview"]["recipients"]) == 3 and dry.json()["campaign"] is None
    assert {s["reason"] for s in dry.json()["preview"]["skipped"]} == {
        "no active contact", "already has this questionnaire open"}
    assert await Campaign.count() == 0
    for wrong, words in (({**body, "questionnaire": "nope"}, "Choose a questionnaire"),
                         ({**body, "filter": {"tiers": ["gold"]}}, None),
                         ({**body, "name": ""}, None)):
        refused = await client.post("/api/v1/campaigns", headers=procurement, json=wrong)
        assert refused.status_code == 400, refused.text
        assert words is None or words in refused.json()["detail"]
    assert (await client.post("/api/v1/campaigns", headers=auditor,
                              json={**body, "dry_run": False})).status_code == 403
    made = await client.post("/api/v1/campaigns", headers=procurement,
                             json={**body, "dry_run": False, "request_key": "api-key-123"})
    assert made.status_code == 201 and made.json()["created"]
    campaign = made.json()["campaign"]
    assert campaign["stats"]["sent"] == 3 and campaign["status"] == "sent"
    retry = await client.post("/api/v1/campaigns", headers=procurement,
                              json={**body, "dry_run": False, "request_key": "api-key-123"})
    assert retry.json()["campaign"]["id"] == campaign["id"] and not retry.json()["created"]
    listing = await client.get("/api/v1/campaigns", headers=auditor)
    assert listing.status_code == 200 and listing.json()["total"] == 1
    shown = await client.get(f"/api/v1/campaigns/{campaign['id']}", headers=auditor)
    assert shown.status_code == 200 and len(shown.json()["members"]) == 5
    assert (await client.get("/api/v1/campaigns/999", headers=auditor)).status_code == 404


GDPR = "uk-gdpr-processor"


async def a_tiered_portfolio():
    """A critical supplier (patient data), a baseline one, and a critical one with the
    processor questionnaire already open."""
    critical = await factories.supplier(name="Critical Ltd", handles_patient_data=True)
    baseline = await factories.supplier(name="Baseline Ltd", handles_personal_data=False)
    half = await factories.supplier(name="Half Open Ltd", handles_patient_data=True)
    for s in (critical, baseline, half):
        contact = await factories.contact(s["id"])
    await factories.sent_assessment(half["id"], contact["id"], questionnaire=GDPR)
    return critical, baseline, half


async def test_a_tier_bundle_from_the_pages_sends_each_tier_its_questionnaires(client):
    critical, baseline, half = await a_tiered_portfolio()
    tiers = {r["supplier"]: r["tier"] for r in await SupplierScore.select(
        SupplierScore.supplier, SupplierScore.tier)}
    assert (tiers[critical["id"]], tiers[baseline["id"]], tiers[half["id"]]) == (
        "critical", "baseline", "critical")
    await sign_in(client, "procurement")
    page = await client.get("/staff/campaigns/new?preset=annual")
    assert f'<option value="{BUNDLE}" selected>' in page.text
    csrf = csrf_of(page)
    preview = await client.post("/staff/campaigns/new", data=_form(
        csrf, action="preview", questionnaire=BUNDLE))
    assert preview.status_code == 200, preview.text
    # critical: both; baseline: one; half open: the one it has not got open
    assert "4 questionnaires go to 3 suppliers" in preview.text
    assert ("Half Open Ltd</a> (UK GDPR" in preview.text
            and "already has this questionnaire open" in preview.text)
    key = re.search(r'name="request_key" value="([^"]+)"', preview.text).group(1)
    previewed = re.search(r'name="previewed" value="([^"]+)"', preview.text).group(1)
    form = _form(csrf, action="send", request_key=key, previewed=previewed, questionnaire=BUNDLE)
    sent = await client.post("/staff/campaigns/new", data=form)
    assert sent.status_code == 303, sent.text
    again = await client.post("/staff/campaigns/new", data=form)
    assert again.headers["location"] == sent.headers["location"] and await Campaign.count() == 1
    got = await Assessment.select(Assessment.supplier, Assessment.definition.key.as_alias("key"))
    assert sorted((r["supplier"], r["key"]) for r in got) == sorted([
        (critical["id"], CORE), (critical["id"], GDPR), (baseline["id"], CORE),
        (half["id"], CORE), (half["id"], GDPR)])  # the last: the one open before
    page = await client.get(sent.headers["location"])
    assert "Sent to 4 of 4 questionnaires" in page.text and "1 left out" in page.text
    assert "The questionnaires each supplier" in page.text


async def test_a_tier_bundle_through_the_api_chases_and_counts_per_questionnaire(
        client, procurement, auditor):
    critical, _, _ = await a_tiered_portfolio()
    due = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    body = {"name": "Bundle", "questionnaire": BUNDLE, "due_date": due, "dry_run": True}
    dry = await client.post("/api/v1/campaigns", headers=procurement, json=body)
    assert dry.status_code == 201, dry.text
    assert len({r["questionnaire"] for r in dry.json()["preview"]["recipients"]}) == 2
    assert len(dry.json()["preview"]["recipients"]) == 4
    assert [s["reason"] for s in dry.json()["preview"]["skipped"]] == [
        "already has this questionnaire open"]
    made = await client.post("/api/v1/campaigns", headers=procurement,
                             json={**body, "dry_run": False, "request_key": "bundle-key-1"})
    assert made.status_code == 201, made.text
    campaign = made.json()["campaign"]
    assert campaign["stats"]["sent"] == 4 and campaign["questionnaire"]["key"] == BUNDLE
    shown = (await client.get(f"/api/v1/campaigns/{campaign['id']}", headers=auditor)).json()
    mine = [m for m in shown["members"] if m["supplier_id"] == critical["id"]]
    assert len(mine) == 2 and len({m["questionnaire"] for m in mine}) == 2
    # Both of the critical supplier's questionnaires overdue: "chase all" chases each one.
    await Assessment.update({Assessment.due_date: dt.date.today() - dt.timedelta(days=1)}).where(
        Assessment.id.is_in([m["assessment_id"] for m in mine]))
    assert (await campaigns.detail(campaign["id"]))["stats"]["overdue"] == 2
    assert await campaigns.chase_overdue(campaign["id"]) == 2


async def test_a_tier_bundle_adds_the_processor_questionnaire_the_score_asks_of_a_processor(
        client, procurement):
    """A baseline supplier processing our personal data under a processor contract is asked
    for the processor questionnaire too, as its score asks (not only its tier's list)."""
    processor = await factories.supplier(name="Processor Ltd")
    await factories.contact(processor["id"])
    await factories.contract(processor["id"], data_role="processor", personal_data=True,
                             patient_data=False)
    tier = (await client.get(f"/api/v1/suppliers/{processor['id']}/score",
                             headers=procurement)).json()["tier"]
    assert tier != "critical"  # its tier's own list is the due diligence questionnaire alone
    due = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    dry = await client.post("/api/v1/campaigns", headers=procurement, json={
        "name": "Bundle", "questionnaire": BUNDLE, "due_date": due, "dry_run": True})
    assert dry.status_code == 201, dry.text
    sent = sorted(r["questionnaire"] for r in dry.json()["preview"]["recipients"]
                  if r["supplier_id"] == processor["id"])
    assert len(sent) == 2, (tier, sent)
