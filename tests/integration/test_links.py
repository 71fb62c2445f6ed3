"""Supplier links are never stored: not in the outbox, the audit trail, a backup, the logs or a
back-office read. The mail that is actually sent carries a working link, built at send time."""

from __future__ import annotations

import datetime as dt
import json
import tarfile

from models.tables import ALL_TABLES, Assessment, OutboundEmail
from portal.assessments import jobs, links
from portal.core import mail
from portal.core.backup import backup
from portal.jobs import run_all
from portal.settings import Settings
from tests import factories
from tests.integration.conftest import staff_session


async def onboard(client, headers):
    supplier = await factories.supplier()
    return supplier, await factories.contact(supplier["id"])


async def send(client, headers, supplier, contact, *, force=False):
    """Sent through the API: its answer is the one place the link is shown."""
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    response = await client.post("/api/v1/assessments", headers=headers, json={
        "supplier_id": supplier["id"], "contact_id": contact["id"],
        "questionnaire": "ndg10-supplier-due-diligence", "due_date": due, "force": force})
    assert response.status_code == 201, response.text
    body = response.json()
    return body, body["link"].rsplit("/", 1)[1]


async def everything_stored() -> str:
    """Every row of every table, as text."""
    rows = []
    for table in ALL_TABLES:
        rows.append(json.dumps(await table.select(), default=str))
    return "\n".join(rows)


def smtp_settings(tmp_path, controller) -> Settings:
    return Settings(data_dir=tmp_path, smtp_url=f"smtp://127.0.0.1:{controller.port}")


async def test_the_link_is_stored_nowhere_and_the_sent_mail_carries_it(
        client, procurement, smtp_server, tmp_path, capfd):
    controller, received = smtp_server
    supplier, contact = await onboard(client, procurement)
    sent, token = await send(client, procurement, supplier, contact)
    assert len(token) >= 43

    # Not in any table (outbox bodies, audit events, the assessment), hence in no back-office read.
    assert token not in await everything_stored()
    row = await OutboundEmail.select().first()
    assert links.placeholder(sent["id"]) in row["body"]
    session = await staff_session("auditor", username="link-auditor")
    client.cookies.set("id", session)
    for table in ("assessment", "audit_event"):
        read = await client.get(f"/admin/api/tables/{table}/", params={"__page_size": 100})
        assert read.status_code == 200 and token not in read.text, table
    # the auditor doesn't see the outbox at all; an admin sees it without bodies
    assert (await client.get("/admin/api/tables/outbound_email/")).status_code == 403
    client.cookies.set("id", await staff_session("admin", username="link-admin"))
    read = await client.get("/admin/api/tables/outbound_email/", params={"__page_size": 100})
    assert read.status_code == 200 and token not in read.text and '"body"' not in read.text
    client.cookies.set("id", session)
    # Nor what it is derived from (useless without the key, but not for show either).
    nonce = (await Assessment.select(Assessment.link_nonce).first())["link_nonce"]
    read = await client.get(f"/admin/api/tables/assessment/{sent['id']}/")
    assert read.status_code == 200 and len(nonce) == 32 and nonce not in read.text
    client.cookies.clear()

    # Not in a backup.
    archive = tmp_path / "backup.tar.gz"
    await backup(archive)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if member.isfile():
                assert token.encode() not in tar.extractfile(member).read(), member.name

    # The mail that goes out carries the working link.
    result = await run_all(smtp_settings(tmp_path, controller))
    assert result["sent"] == 1 and "failed_jobs" not in result
    assert len(received) == 1 and received[0].rcpt_tos == [contact["email"]]
    assert f"/respond/{token}".encode() in received[0].content
    assert (await client.get(f"/api/v1/respond/{token}")).status_code == 200
    assert token not in await everything_stored()  # still nowhere once sent

    # Nor in the log lines of any of this.
    captured = capfd.readouterr()
    assert token not in captured.out and token not in captured.err


async def test_reissue_kills_the_old_link_and_mails_the_new_one(
        client, procurement, smtp_server, tmp_path):
    controller, received = smtp_server
    supplier, contact = await onboard(client, procurement)
    sent, old = await send(client, procurement, supplier, contact)
    reissued = await client.post(f"/api/v1/assessments/{sent['id']}/reissue", headers=procurement)
    assert reissued.status_code == 200, reissued.text
    new = reissued.json()["link"].rsplit("/", 1)[1]
    assert new != old
    assert (await client.get(f"/api/v1/respond/{old}")).status_code == 404
    assert (await client.get(f"/api/v1/respond/{new}")).status_code == 200
    assert old not in await everything_stored() and new not in await everything_stored()

    await mail.dispatch(smtp_settings(tmp_path, controller), fill=links.fill)
    bodies = [m.content for m in received]
    assert len(bodies) == 2  # the first invitation and the new link, both with the live one
    assert all(f"/respond/{new}".encode() in b and old.encode() not in b for b in bodies)


async def test_revoked_links_are_not_mailed_and_forged_rows_get_no_link(
        client, procurement, smtp_server, tmp_path):
    controller, received = smtp_server
    supplier, contact = await onboard(client, procurement)
    sent, token = await send(client, procurement, supplier, contact)
    other, other_token = await send(client, procurement, supplier, contact, force=True)
    # A row naming the assessment but addressed to someone else (written by other means).
    await mail.queue(to="attacker@evil.example", subject="Your link",
                     body=f"Here: {links.placeholder(other['id'])}", related_type="assessment",
                     related_id=other["id"])
    assert (await client.post(f"/api/v1/assessments/{sent['id']}/revoke",
                              headers=procurement)).status_code == 200
    await mail.dispatch(smtp_settings(tmp_path, controller), fill=links.fill)
    by_address = {}
    for message in received:
        by_address.setdefault(message.rcpt_tos[0], []).append(message.content)
    forged = by_address["attacker@evil.example"][0]
    assert other_token.encode() not in forged and b"no longer valid" in forged
    invitations = by_address[contact["email"]]
    assert any(other_token.encode() in b for b in invitations)
    assert not any(token.encode() in b for b in invitations)  # revoked before it went out


async def test_reminders_carry_the_link(client, procurement, smtp_server, tmp_path):
    controller, received = smtp_server
    supplier, contact = await onboard(client, procurement)
    sent, token = await send(client, procurement, supplier, contact)
    await OutboundEmail.delete(force=True)
    soon = dt.date.today() + dt.timedelta(days=1)
    await Assessment.update({Assessment.due_date: soon}).where(Assessment.id == sent["id"])
    assert await jobs.send_reminders() == 1
    await mail.dispatch(smtp_settings(tmp_path, controller), fill=links.fill)
    assert len(received) == 1 and f"/respond/{token}".encode() in received[0].content


async def test_the_migration_blanks_old_links_and_keeps_the_newest_duplicate(
        client, procurement, is_postgres):
    from piccolo.querystring import QueryString

    from models.migrations.portal_2026_12_02t01_30_00_000000 import REMOVED, forwards
    from models.tables import Answer

    supplier, contact = await onboard(client, procurement)
    sent, _ = await send(client, procurement, supplier, contact)
    old_token = "A" * 43
    await mail.queue(to="x@example.com", subject="Old",
                     body=f"Open it here:\nhttps://portal.example/respond/{old_token}\n\nThanks")
    db = Answer._meta.db
    await db.run_querystring(QueryString("DROP INDEX answer_assessment_question"))
    try:
        then = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        for value, at in (('"older"', then), ('"newest"', then + dt.timedelta(hours=1)),
                          ('"old"', then - dt.timedelta(hours=1))):
            await Answer.insert(Answer(assessment=sent["id"], question_id="legal_name",
                                       value=value, updated_at=at))
    finally:
        manager = await forwards()
        for step in manager.raw:
            await step()
    kept = await Answer.select(Answer.value).where(Answer.question_id == "legal_name")
    assert [json.loads(r["value"]) if isinstance(r["value"], str) else r["value"]
            for r in kept] == ["newest"]
    row = await OutboundEmail.select().where(OutboundEmail.subject == "Old").first()
    assert old_token not in row["body"] and REMOVED in row["body"]
    # The unique index is back: a second row for the question is refused.
    try:
        await Answer.insert(Answer(assessment=sent["id"], question_id="legal_name", value='"x"'))
    except Exception as error:  # noqa: BLE001 - the engines raise different classes
        assert "unique" in str(error).lower()
    else:
        raise AssertionError("a duplicate answer was accepted")
