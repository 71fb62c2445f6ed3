"""Sub-processor change notices (UK GDPR Art 28(2)): the supplier's standing link, staff
recording one from an email, the objection window, the reminder, the decision email, the
register updated on the start date, and the knock-out for an offshore sub-processor with no
safeguard. Time is moved by passing `today`, never waited for."""

from __future__ import annotations

import datetime as dt
import re

from models.tables import AuditEvent, OutboundEmail, Risk, SubProcessor, SubProcessorNotice
from portal.core import staff
from portal.notices import service as notices
from portal.suppliers import service as suppliers
from portal.suppliers.schemas import SubProcessorCreate
from tests import factories
from tests.integration.journeys import csrf_of, sign_in

TODAY = dt.date.today()


async def _supplier():
    s = await factories.supplier()
    await factories.contact(s["id"], email="dpo@meridian.example")
    return s


def _form(page, start: dt.date, **fields) -> dict:
    return {"csrf": re.search(r'name="csrf" value="([^"]+)"', page.text).group(1),
            "intended_start-day": str(start.day), "intended_start-month": str(start.month),
            "intended_start-year": str(start.year), **fields}


async def test_a_supplier_notifies_through_its_standing_link(client, procurement):
    s = await _supplier()
    issued = await client.post(f"/api/v1/suppliers/{s['id']}/notice-link", headers=procurement)
    assert issued.status_code == 201
    link = issued.json()["link"]
    path = "/" + link.split("/", 3)[3]
    token = path.rsplit("/", 1)[1]
    trail = await AuditEvent.select(AuditEvent.before, AuditEvent.after)
    assert trail and all(token not in str(e["before"]) + str(e["after"]) for e in trail)
    page = await client.get(path)
    assert page.status_code == 200 and "Tell us about a sub-processor change" in page.text
    start = TODAY + dt.timedelta(days=45)
    # a mistake keeps what was typed and names the field
    bad = await client.post(path, data=_form(page, start, change="add", location="India"))
    assert bad.status_code == 400 and "Enter the sub-processor&#39;s name." in bad.text
    assert 'value="India"' in bad.text
    done = await client.post(path, data=_form(page, start, change="add", name="Offshore Desk Pvt Ltd",
                                              service="Second-line support", location="India",
                                              transfer_mechanism="none"))
    assert done.status_code == 200, done.text
    deadline = TODAY + dt.timedelta(days=30)
    assert deadline.strftime("%-d %B %Y") in done.text
    notice = await SubProcessorNotice.select().first()
    assert notice["source"] == "link" and notice["objection_deadline"] == deadline
    # a wrong link and a revoked one are the same 404 page
    assert (await client.get(path[:-3] + "abc")).status_code == 404
    revoked = await client.post(f"/api/v1/suppliers/{s['id']}/notice-link/revoke", headers=procurement)
    assert revoked.status_code == 204
    assert (await client.get(path)).status_code == 404
    # a new link works, the old one doesn't
    again = (await client.post(f"/api/v1/suppliers/{s['id']}/notice-link", headers=procurement)).json()
    assert again["link"] != link
    assert (await client.get("/" + again["link"].split("/", 3)[3])).status_code == 200


async def test_window_reminder_decision_and_register_follow(client, procurement, reviewer):
    await staff.create_user(username="ig-lead", password="correct horse battery staple",
                            role="reviewer", email="ig.lead@trust.example")
    s = await _supplier()
    start = TODAY + dt.timedelta(days=40)
    recorded = await client.post(f"/api/v1/suppliers/{s['id']}/subprocessor-notices", headers=procurement,
                                 json={"change": "add", "name": "Offshore Desk Pvt Ltd",
                                       "location": "India", "transfer_mechanism": "none",
                                       "intended_start": start.isoformat(),
                                       "source_detail": "email from their DPO"})
    assert recorded.status_code == 201, recorded.text
    notice = recorded.json()
    assert notice["objection_deadline"] == (TODAY + dt.timedelta(days=30)).isoformat()
    assert notice["days_left"] == 30 and notice["source"] == "staff"
    # no reminder three weeks early; one, once, seven days before the deadline
    assert await notices.send_reminders(TODAY + dt.timedelta(days=22)) == 0
    assert await notices.send_reminders(TODAY + dt.timedelta(days=23)) == 1
    assert await notices.send_reminders(TODAY + dt.timedelta(days=24)) == 0
    reminder = await OutboundEmail.select().where(OutboundEmail.to_address == "ig.lead@trust.example").first()
    assert "7 days left to object" in reminder["subject"]
    # the dashboard shows it with days left
    await sign_in(client, "admin")
    dashboard = await client.get("/staff/")
    assert "Offshore Desk Pvt Ltd" in dashboard.text and "30 days left" in dashboard.text
    # an objection needs its reasons
    url = f"/api/v1/subprocessor-notices/{notice['id']}/decision"
    missing = await client.post(url, json={"decision": "objection"}, headers=reviewer)
    assert missing.status_code == 400 and "reasons" in missing.json()["detail"]
    decided = await client.post(url, json={"decision": "accepted_with_conditions",
                                           "reasons": "Only with an IDTA signed first."},
                                headers=reviewer)
    assert decided.status_code == 200, decided.text
    assert (await client.post(url, json={"decision": "objection", "reasons": "x"},
                              headers=reviewer)).status_code == 409
    told = await OutboundEmail.select().where(OutboundEmail.to_address == "dpo@meridian.example").first()
    assert "accepted with conditions" in told["subject"] and "IDTA signed first" in told["body"]
    # nothing reaches the register before the start date; on it, the sub-processor is added
    assert await notices.apply_due(start - dt.timedelta(days=1)) == 0
    assert await notices.apply_due(start) == 1
    assert await notices.apply_due(start) == 0
    added = await SubProcessor.select().where(SubProcessor.supplier == s["id"]).first()
    assert added["name"] == "Offshore Desk Pvt Ltd" and added["since"] == start
    assert await AuditEvent.exists().where(AuditEvent.action == "subprocessor.created")


async def test_an_objection_keeps_the_register_and_a_replacement_ends_the_old_one(client, reviewer):
    s = await _supplier()
    old = await suppliers.create_subprocessor(s["id"], SubProcessorCreate(
        name="UK Hosting Ltd", location="United Kingdom", transfer_mechanism="uk",
        since=TODAY - dt.timedelta(days=300)))
    start = TODAY + dt.timedelta(days=31)
    objected = await notices.record_notice(s["id"], {
        "change": "add", "name": "Elsewhere Inc", "location": "USA", "intended_start": start},
        source="staff", source_detail="email")
    await notices.decide(objected["id"], decision="objection", reasons="No safeguard.", actor="ig")
    replaced = await notices.record_notice(s["id"], {
        "change": "replace", "subprocessor_id": str(old["id"]), "name": "EU Hosting BV",
        "location": "Netherlands", "transfer_mechanism": "adequacy", "intended_start": start},
        source="staff", source_detail="email")
    # undecided when the window has passed: no objection was made in time
    assert await notices.apply_due(start) == 1
    assert (await notices.get_notice(objected["id"]))["status"] == "decided"
    assert (await notices.get_notice(replaced["id"]))["status"] == "applied"
    ended = await suppliers.get_subprocessor(old["id"])
    assert ended["until"] == start - dt.timedelta(days=1)
    names = {r["name"] for r in await SubProcessor.select(SubProcessor.name)}
    assert names == {"UK Hosting Ltd", "EU Hosting BV"}


async def test_an_offshore_subprocessor_without_a_safeguard_knocks_the_supplier_out(client, reviewer):
    s = await _supplier()
    sp = await suppliers.create_subprocessor(s["id"], SubProcessorCreate(
        name="Offshore Desk Pvt Ltd", location="India", transfer_mechanism="unknown"))
    score = (await client.get(f"/api/v1/suppliers/{s['id']}/score", headers=reviewer)).json()
    assert score["rating"] == "red"
    assert any(c["kind"] == "knockout" and "Offshore Desk" in c["reason"] for c in score["caps"])
    risk = await Risk.select().where(Risk.source_key == f"knockout:subprocessor:{sp['id']}").first()
    assert risk["status"] == "open" and risk["severity"] == "high"
    # a safeguard recorded in the register closes the knock-out by itself
    from portal.suppliers.schemas import SubProcessorPatch

    await suppliers.update_subprocessor(sp["id"], SubProcessorPatch(transfer_mechanism="idta",
                                                                    version=sp["version"]))
    assert (await Risk.select(Risk.status).where(Risk.id == risk["id"]).first())["status"] == "closed"
    score = (await client.get(f"/api/v1/suppliers/{s['id']}/score", headers=reviewer)).json()
    assert not any(c["kind"] == "knockout" for c in score["caps"])
    # a UK one with unknown mechanism is no knock-out
    await suppliers.create_subprocessor(s["id"], SubProcessorCreate(
        name="Leeds Print", location="United Kingdom", transfer_mechanism="unknown"))
    assert await Risk.count().where(Risk.source_key.like("knockout:subprocessor:%")
                                    & (Risk.status == "open")) == 0


async def test_staff_record_and_decide_in_the_workspace(client):
    s = await _supplier()
    await sign_in(client, "admin")
    form = await client.get(f"/staff/suppliers/{s['id']}/notices/new")
    assert form.status_code == 200
    bad = await client.post(f"/staff/suppliers/{s['id']}/notices", data={
        "csrf": csrf_of(form), "change": "add", "name": "Offshore Desk", "intended_start": "soon"})
    assert bad.status_code == 400 and "Enter the date the change is meant to start" in bad.text
    assert 'value="Offshore Desk"' in bad.text
    made = await client.post(f"/staff/suppliers/{s['id']}/notices", data={
        "csrf": csrf_of(form), "change": "add", "name": "Offshore Desk", "location": "India",
        "transfer_mechanism": "none", "intended_start": (TODAY + dt.timedelta(days=60)).isoformat(),
        "source_detail": "email, 2 Dec"})
    assert made.status_code == 303
    page = await client.get(made.headers["location"])
    assert "no safeguard" in page.text
    missing = await client.post(made.headers["location"].split("?")[0] + "/decision", data={
        "csrf": csrf_of(page), "decision": "objection", "reasons": ""})
    assert missing.status_code == 400 and "Give the reasons for the objection." in missing.text
    decided = await client.post(made.headers["location"].split("?")[0] + "/decision", data={
        "csrf": csrf_of(page), "decision": "objection", "reasons": "Data must stay in the UK."})
    assert decided.status_code == 303
    shown = await client.get(f"/staff/suppliers/{s['id']}")
    assert "Offshore Desk" in shown.text and "(objection)" in shown.text
    link = await client.post(f"/staff/suppliers/{s['id']}/notice-link", data={"csrf": csrf_of(shown)})
    assert link.status_code == 201 and "/notify/" in link.text
