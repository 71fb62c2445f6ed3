"""Managing a sent questionnaire from the workspace and the API: the duplicate-send warning,
revoke after a confirmation, reissue shown once, extend the due date, chase now; the outbox
view for admins."""

from __future__ import annotations

import datetime as dt
import re

from models.tables import Assessment, AuditEvent, OutboundEmail
from portal.assessments import jobs, links
from tests import factories
from tests.integration.journeys import CORE, csrf_of, sign_in

TITLE = "Supplier data security due diligence"  # the core questionnaire's title


async def _supplier():
    supplier = await factories.supplier(name="Meridian Health Records")
    return supplier, await factories.contact(supplier["id"])


def _due(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


async def test_sending_an_open_questionnaire_again_warns_first(client):
    supplier, contact = await _supplier()
    await sign_in(client, "procurement")
    page = await client.get(f"/staff/suppliers/{supplier['id']}")
    due_day = dt.date.today() + dt.timedelta(days=20)
    form = {"csrf": csrf_of(page), "questionnaire": CORE, "contact_id": str(contact["id"]),
            "due_date-day": str(due_day.day), "due_date-month": str(due_day.month),
            "due_date-year": str(due_day.year)}
    first = await client.post(f"/staff/suppliers/{supplier['id']}/assessments", data=form)
    assert first.status_code == 303
    shown = await client.get(first.headers["location"])
    # The link is in a readonly input anyone can select; the script only adds a Copy button.
    assert re.search(r'id="supplier-link"[^>]*readonly[^>]*data-copy', shown.text)
    assert '<script src="/static/portal/copy.js"' in shown.text
    assert (await client.get("/static/portal/copy.js")).status_code == 200

    again = await client.post(f"/staff/suppliers/{supplier['id']}/assessments", data=form)
    assert again.status_code == 409
    today = dt.date.today()
    due = today + dt.timedelta(days=20)
    assert ("Meridian Health Records already has an open &#39;" in again.text
            and f"sent on {today:%-d %B %Y}, due {due:%-d %B %Y}" in again.text), again.text
    opened = (await Assessment.select(Assessment.id).first())["id"]
    assert f'href="/staff/assessments/{opened}#link-management"' in again.text
    assert "Send anyway" in again.text and await Assessment.count() == 1
    # "Send anyway" carries what was chosen and sends a second one.
    assert f'name="due_date-day" value="{due.day}"' in again.text
    anyway = await client.post(f"/staff/suppliers/{supplier['id']}/assessments",
                               data={**form, "force": "1"})
    assert anyway.status_code == 303 and await Assessment.count() == 2


async def test_the_api_refuses_a_duplicate_send_unless_forced(client, procurement):
    supplier, contact = await _supplier()
    body = {"supplier_id": supplier["id"], "contact_id": contact["id"], "questionnaire": CORE,
            "due_date": _due(30)}
    assert (await client.post("/api/v1/assessments", headers=procurement, json=body)
            ).status_code == 201
    refused = await client.post("/api/v1/assessments", headers=procurement, json=body)
    assert refused.status_code == 409
    first = (await Assessment.select(Assessment.id).first())["id"]
    assert "already has an open" in refused.json()["detail"]
    assert refused.json()["open_assessment_id"] == first
    # Another questionnaire is not a duplicate; nor is one sent after the first was revoked.
    other = await client.post("/api/v1/assessments", headers=procurement,
                              json={**body, "questionnaire": "uk-gdpr-processor"})
    assert other.status_code == 201
    forced = await client.post("/api/v1/assessments", headers=procurement,
                               json={**body, "force": True})
    assert forced.status_code == 201
    bad = await client.post("/api/v1/assessments", headers=procurement,
                            json={**body, "force": "perhaps"})
    assert bad.status_code == 400
    for row in await Assessment.select(Assessment.id).where(
            Assessment.id != other.json()["id"]):
        assert (await client.post(f"/api/v1/assessments/{row['id']}/revoke",
                                  headers=procurement)).status_code == 200
    assert (await client.post("/api/v1/assessments", headers=procurement, json=body)
            ).status_code == 201


async def test_revoke_asks_first_then_the_link_stops_working(client):
    supplier, contact = await _supplier()
    assessment, token = await factories.sent_assessment(supplier["id"], contact["id"])
    await sign_in(client, "procurement")
    page = await client.get(f"/staff/assessments/{assessment['id']}")
    assert 'id="link-management"' in page.text
    assert f'href="/staff/assessments/{assessment["id"]}/revoke"' in page.text
    confirm = await client.get(f"/staff/assessments/{assessment['id']}/revoke")
    assert confirm.status_code == 200 and "Revoke the supplier's link?" in confirm.text
    csrf = csrf_of(confirm)
    unconfirmed = await client.post(f"/staff/assessments/{assessment['id']}/revoke",
                                    data={"csrf": csrf})
    assert unconfirmed.status_code == 400 and "Confirm that the link" in unconfirmed.text
    assert (await client.get(f"/api/v1/respond/{token}")).status_code == 200
    done = await client.post(f"/staff/assessments/{assessment['id']}/revoke",
                             data={"csrf": csrf, "confirm": "revoke"})
    assert done.status_code == 303 and "notice=revoked" in done.headers["location"]
    assert (await client.get(f"/api/v1/respond/{token}")).status_code == 404
    again = await client.post(f"/staff/assessments/{assessment['id']}/revoke",
                              data={"csrf": csrf, "confirm": "revoke"})
    assert again.status_code == 409 and "already revoked" in again.text
    # Reissue from the page: a new link, shown once, that works.
    new = await client.post(f"/staff/assessments/{assessment['id']}/reissue", data={"csrf": csrf})
    shown = await client.get(new.headers["location"])
    fresh = re.search(r'id="supplier-link"[^>]*value="[^"]+/respond/([^"]+)"', shown.text).group(1)
    assert (await client.get(f"/api/v1/respond/{fresh}")).status_code == 200


async def test_extend_the_due_date_in_the_users_words(client):
    supplier, contact = await _supplier()
    assessment, token = await factories.sent_assessment(supplier["id"], contact["id"],
                                                        due_in_days=5)
    await Assessment.update({Assessment.reminder_stage: "due_7"}).where(
        Assessment.id == assessment["id"])
    await sign_in(client, "procurement")
    page = await client.get(f"/staff/assessments/{assessment['id']}/extend")
    assert page.status_code == 200 and "Extend the due date" in page.text
    path = f"/staff/assessments/{assessment['id']}/extend"
    csrf = csrf_of(page)
    empty = await client.post(path, data={"csrf": csrf})
    assert empty.status_code == 400 and "Enter the new due date" in empty.text
    assert "nhsuk-error-summary" in empty.text
    unreal = await client.post(path, data={"csrf": csrf, "due_date-day": "31",
                                           "due_date-month": "2", "due_date-year": "2027"})
    assert unreal.status_code == 400 and "must be a real date" in unreal.text
    assert 'name="due_date-day" type="text" inputmode="numeric" value="31"' in unreal.text
    earlier = dt.date.today() + dt.timedelta(days=2)
    sooner = await client.post(path, data={
        "csrf": csrf, "due_date-day": str(earlier.day), "due_date-month": str(earlier.month),
        "due_date-year": str(earlier.year)})
    assert sooner.status_code == 400 and "must be after the current one" in sooner.text
    far = await client.post(path, data={"csrf": csrf, "due_date-day": "1",
                                        "due_date-month": "1", "due_date-year": "2099"})
    assert far.status_code == 400 and "within a year" in far.text
    later = dt.date.today() + dt.timedelta(days=40)
    done = await client.post(path, data={
        "csrf": csrf, "due_date-day": str(later.day), "due_date-month": str(later.month),
        "due_date-year": str(later.year)})
    assert done.status_code == 303 and "notice=extended" in done.headers["location"]
    row = await Assessment.select().where(Assessment.id == assessment["id"]).first()
    assert row["due_date"] == later and row["reminder_stage"] == ""
    assert row["link_expires_at"].date() > later
    assert (await client.get(f"/api/v1/respond/{token}")).status_code == 200  # same link
    mail = await OutboundEmail.select().order_by(OutboundEmail.id, ascending=False).first()
    assert "more time" in mail["subject"] and links.placeholder(assessment["id"]) in mail["body"]
    # The page says when the next reminder goes, by the reminder job's own rule.
    view = await client.get(f"/staff/assessments/{assessment['id']}")
    on, _ = jobs.next_reminder(later, dt.date.today(), "")
    assert f"Next reminder on {on:%-d %B %Y}" in view.text


async def test_chase_now_queues_a_reminder_naming_the_questionnaire(client, procurement):
    supplier, contact = await _supplier()
    assessment, _ = await factories.sent_assessment(supplier["id"], contact["id"])
    await sign_in(client, "procurement")
    page = await client.get(f"/staff/suppliers/{supplier['id']}")
    assert f'action="/staff/assessments/{assessment["id"]}/chase"' in page.text
    before = await OutboundEmail.count()
    chased = await client.post(f"/staff/assessments/{assessment['id']}/chase",
                               data={"csrf": csrf_of(page), "back": "supplier"})
    assert chased.status_code == 303 and "notice=chased" in chased.headers["location"]
    assert await OutboundEmail.count() == before + 1
    mail = await OutboundEmail.select().order_by(OutboundEmail.id, ascending=False).first()
    assert mail["subject"].startswith("Reminder: '") and TITLE in mail["subject"]
    assert links.placeholder(assessment["id"]) in mail["body"] and mail["to_address"] == contact["email"]
    assert await AuditEvent.count().where(AuditEvent.action == "assessment.chased") == 1
    # Through the API too; refused in words once it is no longer being answered.
    assert (await client.post(f"/api/v1/assessments/{assessment['id']}/chase",
                              headers=procurement)).status_code == 200
    await client.post(f"/api/v1/assessments/{assessment['id']}/revoke", headers=procurement)
    refused = await client.post(f"/api/v1/assessments/{assessment['id']}/chase",
                                headers=procurement)
    assert refused.status_code == 409 and "nothing to chase" in refused.json()["detail"]
    page = await client.get(f"/staff/assessments/{assessment['id']}")
    refused = await client.post(f"/staff/assessments/{assessment['id']}/chase",
                                data={"csrf": csrf_of(page)})
    assert refused.status_code == 409 and "nothing to chase" in refused.text


async def test_extend_through_the_api(client, procurement, auditor):
    supplier, contact = await _supplier()
    assessment, _ = await factories.sent_assessment(supplier["id"], contact["id"])
    path = f"/api/v1/assessments/{assessment['id']}/extend"
    later = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    assert (await client.post(path, headers=auditor, json={"due_date": later})).status_code == 403
    assert (await client.post(path, headers=procurement, json={"due_date": "soon"})
            ).status_code == 400
    done = await client.post(path, headers=procurement, json={"due_date": later})
    assert done.status_code == 200 and done.json()["due_date"] == later
    again = await client.post(path, headers=procurement, json={"due_date": later})
    assert again.status_code == 400 and "after the current one" in again.json()["detail"]


async def test_the_outbox_is_for_admins_and_never_shows_bodies(client):
    supplier, contact = await _supplier()
    await factories.sent_assessment(supplier["id"], contact["id"])
    await OutboundEmail.update({OutboundEmail.status: "failed", OutboundEmail.attempts: 8,
                                OutboundEmail.last_error: "Connection refused"}).where(
        OutboundEmail.id > 0)
    await factories.sent_assessment(supplier["id"], contact["id"], questionnaire="uk-gdpr-processor")
    await sign_in(client, "procurement")
    refused = await client.get("/staff/outbox")
    assert refused.status_code == 403 and "may not" in refused.text
    assert 'href="/staff/outbox"' not in (await client.get("/staff/")).text
    client.cookies.clear()
    await sign_in(client, "admin")
    assert 'href="/staff/outbox"' in (await client.get("/staff/")).text
    page = await client.get("/staff/outbox")
    assert page.status_code == 200 and contact["email"] in page.text
    assert "Connection refused" in page.text and "2 messages" in page.text
    body = (await OutboundEmail.select(OutboundEmail.body).first())["body"]
    assert body.split("\n")[0] not in page.text  # "Dear <name>," opens every body
    failed = await client.get("/staff/outbox", params={"status": "failed"})
    assert "1 message failed" in failed.text and "GDPR" not in failed.text
    odd = await client.get("/staff/outbox", params={"status": "<x>", "page": "many"})
    assert odd.status_code == 200 and "2 messages" in odd.text
