"""Your account: each staff member turns the submission and query-answer emails off or on
for themselves (audited); the people page shows it; opted-out people get no such mail and,
when nobody would, it goes to the review team's address."""

from __future__ import annotations

import pytest

from models.tables import Assessment, AuditEvent, Organisation, OutboundEmail, StaffMember
from portal.core import staff
from portal.core.context import Actor
from portal.core.errors import PermissionDenied
from tests import factories
from tests.integration.journeys import PASSWORD, csrf_of, sign_in


async def organisation(**values) -> None:
    await Organisation.insert(Organisation(name="Royal County Hospital NHS Trust", **values))


async def reviewer(name: str) -> int:
    return await staff.create_user(username=name, password=PASSWORD, role="reviewer",
                                   email=f"{name}@trust.example")


async def submitted() -> tuple[dict, str]:
    made = await factories.supplier()
    contact = await factories.contact(made["id"])
    sent, token = await factories.submitted_assessment(made["id"], contact["id"])
    return await Assessment.select().where(Assessment.id == sent["id"]).first(), token


async def staff_mail() -> list[str]:
    return [m["to_address"] for m in await OutboundEmail.select(OutboundEmail.to_address).where(
        OutboundEmail.related_type == "assessment_staff").order_by(OutboundEmail.id)]


def as_staff(user_id: int, name: str) -> Actor:
    return Actor(kind="staff", name=name, role="reviewer", user_id=user_id)


async def test_a_reviewer_turns_the_emails_off_and_on_for_themselves(client):
    await sign_in(client, "reviewer")
    page = await client.get("/staff/account")
    assert page.status_code == 200 and 'value="yes" checked' in page.text
    assert 'href="/staff/account"' in page.text  # from the header, on every page
    csrf = csrf_of(page)
    wrong = await client.post("/staff/account", data={"csrf": csrf, "notify_by_email": "maybe"})
    assert wrong.status_code == 400 and "Choose whether you want these emails" in wrong.text
    assert 'href="#notify_by_email"' in wrong.text
    off = await client.post("/staff/account", data={"csrf": csrf, "notify_by_email": "no"},
                            follow_redirects=False)
    assert off.status_code == 303
    page = await client.get(off.headers["location"])
    assert "Your email setting was saved" in page.text and 'value="no" checked' in page.text
    assert (await StaffMember.select(StaffMember.notify_by_email).first())[
        "notify_by_email"] is False
    events = await AuditEvent.select(AuditEvent.actor, AuditEvent.after).where(
        AuditEvent.action == "staff.notifications_changed")
    assert len(events) == 1 and events[0]["actor"] == "reviewer1"
    # Saving the same choice again changes nothing and records nothing.
    await client.post("/staff/account", data={"csrf": csrf, "notify_by_email": "no"})
    assert await AuditEvent.count().where(
        AuditEvent.action == "staff.notifications_changed") == 1
    refused = await client.post("/staff/account", data={"notify_by_email": "yes"})
    assert refused.status_code in (400, 403)  # no CSRF token: nothing changes


async def test_only_your_own_account_and_admins_see_it_on_the_people_page(client):
    rita = await reviewer("rita")
    await staff.set_notifications(on=False, actor=as_staff(rita, "rita"))
    with pytest.raises(PermissionDenied):  # a token has no account of its own
        await staff.set_notifications(on=False, actor=Actor(kind="token", name="ci", role="admin"))
    await sign_in(client, "admin")
    people = await client.get("/staff/people")
    assert people.status_code == 200 and "Submission emails" in people.text
    assert "off (their choice)" in people.text


async def test_opted_out_reviewers_get_no_mail_and_the_review_team_does(client):
    await organisation(review_team_email="ig@trust.example")
    rita, sam = await reviewer("rita"), await reviewer("sam")
    await staff.set_notifications(on=False, actor=as_staff(rita, "rita"))
    picked = [(await submitted())[0]["assigned_to"] for _ in range(2)]
    assert sorted(picked) == sorted([rita, sam])
    # Rita's assignment is announced to the review team, Sam's to Sam.
    assert sorted(await staff_mail()) == ["ig@trust.example", "sam@trust.example"]


async def test_with_no_team_address_the_reviewers_still_on_are_mailed(client):
    await organisation(review_assignment="unassigned")
    rita, _ = await reviewer("rita"), await reviewer("sam")
    await staff.set_notifications(on=False, actor=as_staff(rita, "rita"))
    await submitted()
    assert await staff_mail() == ["sam@trust.example"]
    await staff.set_notifications(on=True, actor=as_staff(rita, "rita"))
    await submitted()
    assert (await staff_mail())[1:] == ["rita@trust.example", "sam@trust.example"]
    assert await Organisation.count() == 1
