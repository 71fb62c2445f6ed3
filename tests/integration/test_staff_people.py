"""Staff accounts in the workspace: admin only, audited, never the last admin, never yourself."""

from __future__ import annotations

import json
import re

from piccolo.apps.user.tables import BaseUser
from piccolo_api.session_auth.tables import SessionsBase

from models.tables import AuditEvent, StaffMember
from portal.core import staff
from portal.core.context import Actor
from portal.core.errors import Conflict, PermissionDenied
from tests.integration.conftest import staff_session

PASSWORD = "correct horse battery staple"


async def signed_in(client, role: str, username: str) -> str:
    client.cookies.set("id", await staff_session(role, username=username))
    page = await client.get("/staff/people")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    return match[1] if match else ""


async def test_an_admin_creates_a_staff_member_and_errors_sit_next_to_the_fields(client):
    csrf = await signed_in(client, "admin", "boss")
    bad = await client.post("/staff/people", data={"csrf": csrf, "username": "new.buyer",
                                                   "email": "nb@example.org", "role": "procurement",
                                                   "password": "short"})
    assert bad.status_code == 400
    assert 'id="password-error"' in bad.text and "at least 12" in bad.text
    assert 'value="new.buyer"' in bad.text and 'value="nb@example.org"' in bad.text
    assert 'value="procurement" selected' in bad.text
    ok = await client.post("/staff/people", data={"csrf": csrf, "username": "new.buyer",
                                                  "email": "nb@example.org", "role": "procurement",
                                                  "password": PASSWORD}, follow_redirects=False)
    assert ok.status_code == 303
    user = await BaseUser.select().where(BaseUser.username == "new.buyer").first()
    assert user["admin"] is True and user["superuser"] is False
    event = await AuditEvent.select().where(AuditEvent.action == "staff.created").order_by(
        AuditEvent.id, ascending=False).first()
    assert event["actor"] == "boss" and json.loads(event["after"])["role"] == "procurement"
    duplicate = await client.post("/staff/people", data={"csrf": csrf, "username": "new.buyer",
                                                         "role": "auditor", "password": PASSWORD})
    assert duplicate.status_code == 400 and 'id="username-error"' in duplicate.text
    no_csrf = await client.post("/staff/people", data={"username": "x", "role": "auditor",
                                                       "password": PASSWORD})
    assert no_csrf.status_code == 400
    assert not await BaseUser.exists().where(BaseUser.username == "x")


async def test_only_admins_manage_staff(client):
    await signed_in(client, "procurement", "buyer")
    assert (await client.get("/staff/people")).status_code == 403
    target = await staff.create_user(username="t", password=PASSWORD, role="auditor")
    try:
        await staff.change_role(user_id=target, role="admin",
                                actor=Actor(kind="staff", name="buyer", role="procurement"))
    except PermissionDenied:
        pass
    else:
        raise AssertionError("procurement changed a role")
    assert (await StaffMember.select(StaffMember.role).where(StaffMember.user == target).first()
            )["role"] == "auditor"


async def test_role_deactivate_reset_are_audited_and_end_sessions(client):
    csrf = await signed_in(client, "admin", "boss")
    target = await staff.create_user(username="rev", password=PASSWORD, role="reviewer")
    await StaffMember.update({StaffMember.totp_secret: "sealed"}).where(StaffMember.user == target)
    await SessionsBase.create_session(user_id=target)
    reset = await client.post(f"/staff/people/{target}/authenticator", data={"csrf": csrf},
                              follow_redirects=False)
    assert reset.status_code == 303
    member = await StaffMember.select().where(StaffMember.user == target).first()
    assert member["totp_secret"] == "" and member["totp_pending"] == ""
    assert await SessionsBase.count().where(SessionsBase.user_id == target) == 0
    event = await AuditEvent.select().where(AuditEvent.action == "staff.authenticator_reset").first()
    assert "sealed" not in (event["before"] or "") + (event["after"] or "")
    role = await client.post(f"/staff/people/{target}/role", data={"csrf": csrf, "role": "auditor"},
                             follow_redirects=False)
    assert role.status_code == 303
    assert await AuditEvent.count().where(AuditEvent.action == "staff.role_changed") == 1
    off = await client.post(f"/staff/people/{target}/active", data={"csrf": csrf, "active": "no"},
                            follow_redirects=False)
    assert off.status_code == 303
    assert (await BaseUser.select(BaseUser.active).where(BaseUser.id == target).first()
            )["active"] is False
    on = await client.post(f"/staff/people/{target}/active", data={"csrf": csrf, "active": "yes"},
                           follow_redirects=False)
    assert on.status_code == 303
    assert await AuditEvent.count().where(AuditEvent.action.is_in(
        ["staff.deactivated", "staff.reactivated"])) == 2


async def test_no_one_removes_the_last_admin_or_locks_themselves_out(client):
    csrf = await signed_in(client, "admin", "boss")
    me = (await BaseUser.select(BaseUser.id).where(BaseUser.username == "boss").first())["id"]
    for url, data in ((f"/staff/people/{me}/role", {"role": "auditor"}),
                      (f"/staff/people/{me}/active", {"active": "no"}),
                      (f"/staff/people/{me}/authenticator", {})):
        response = await client.post(url, data={"csrf": csrf, **data})
        assert response.status_code == 409, response.text
        assert "your own account" in response.text
    # Without an acting person (the CLI), the last active admin still stays.
    try:
        await staff.change_role(user_id=me, role="auditor")
    except Conflict as error:
        assert "no active administrator" in error.message
    else:
        raise AssertionError("the last admin was demoted")
    other = await staff.create_user(username="second", password=PASSWORD, role="admin")
    await staff.set_active(user_id=other, active=False)
    try:
        await staff.set_active(user_id=me, active=False)
    except Conflict:
        pass
    else:
        raise AssertionError("the last active admin was deactivated")
    assert await StaffMember.count().where(StaffMember.role == "admin") == 2


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(client):
    """Fired together (on PostgreSQL, two transactions really race; SQLite serialises them):
    each sees the other still an admin unless the admin rows are locked first."""
    import asyncio

    first = await staff.create_user(username="a1", password=PASSWORD, role="admin")
    second = await staff.create_user(username="a2", password=PASSWORD, role="admin")
    actors = [Actor(kind="staff", name=n, role="admin", user_id=u)
              for n, u in (("a1", first), ("a2", second))]
    for _ in range(3):
        results = await asyncio.gather(
            staff.change_role(user_id=second, role="auditor", actor=actors[0]),
            staff.change_role(user_id=first, role="auditor", actor=actors[1]),
            staff.set_active(user_id=second, active=False, actor=actors[0]),
            return_exceptions=True)
        assert any(isinstance(r, Conflict) for r in results), results
        admins = await StaffMember.count().where(
            (StaffMember.role == "admin") & (StaffMember.user.active == True))  # noqa: E712
        assert admins == 1
        # put both back for the next round
        for user_id in (first, second):
            await BaseUser.update({BaseUser.active: True}).where(BaseUser.id == user_id)
            await StaffMember.update({StaffMember.role: "admin"}).where(StaffMember.user == user_id)
