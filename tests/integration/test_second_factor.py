"""Admins and reviewers need an authenticator code; their sessions count only after it."""

from __future__ import annotations

import re

from models.tables import StaffMember
from portal.core import staff, totp
from tests.integration.conftest import SUPPLIER, staff_session

PASSWORD = "a sensible long password"


def csrf_of(page) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


async def password_step(client, username):
    page = await client.get("/staff/login")
    response = await client.post("/staff/login", data={
        "csrf": csrf_of(page), "username": username, "password": PASSWORD, "next": "/staff/"})
    return csrf_of(page), response


async def test_reviewer_enrols_then_is_asked_for_a_code_each_time(client):
    await staff.create_user(username="rev", password=PASSWORD, role="reviewer")
    csrf, response = await password_step(client, "rev")
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login/mfa")
    assert "id" not in client.cookies  # no session yet
    page = await client.get(response.headers["location"])
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', page.text).group(1)
    stored = await StaffMember.select(StaffMember.totp_pending).first()
    assert secret not in stored["totp_pending"]  # kept encrypted
    wrong = await client.post("/staff/login/mfa", data={"csrf": csrf, "code": "000000"})
    assert wrong.status_code == 400 and "not right" in wrong.text
    code = totp.code_at(secret, totp.current_step())
    ok = await client.post("/staff/login/mfa", data={"csrf": csrf, "code": code, "next": "/staff/"})
    assert ok.status_code == 303 and ok.headers["location"] == "/staff/"
    assert (await client.get("/staff/")).status_code == 200
    # Next time: a code only, and the same code can't be used twice.
    client.cookies.clear()
    csrf, response = await password_step(client, "rev")
    page = await client.get(response.headers["location"])
    assert "Enter your authenticator code" in page.text and "totp-secret" not in page.text
    replay = await client.post("/staff/login/mfa", data={"csrf": csrf, "code": code})
    assert replay.status_code == 400


async def test_procurement_signs_in_with_a_password_alone(client):
    await staff.create_user(username="buyer", password=PASSWORD, role="procurement")
    _, response = await password_step(client, "buyer")
    assert response.headers["location"] == "/staff/"


async def test_a_reviewer_session_without_the_second_factor_is_refused_everywhere(client):
    token = await staff_session("reviewer", second_factor=False)
    client.cookies.set("id", token)
    assert (await client.get("/api/v1/suppliers")).status_code == 401
    assert (await client.get("/staff/", follow_redirects=False)).status_code == 303
    back_office = await client.get("/admin/", follow_redirects=False)
    assert back_office.status_code == 303 and "/staff/login" in back_office.headers["location"]
    api = await client.get("/admin/api/tables/supplier/")
    assert api.status_code == 403
    client.cookies.clear()
    verified = await staff_session("reviewer", username="rev2")
    client.cookies.set("id", verified)
    assert (await client.get("/api/v1/suppliers")).status_code == 200
    client.cookies.clear()


async def test_the_pending_step_cannot_be_forged(client):
    await staff.create_user(username="adm", password=PASSWORD, role="admin")
    client.cookies.set("portal_mfa", "1.9999999999.forged", path="/staff")
    response = await client.get("/staff/login/mfa", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")
    assert SUPPLIER


async def test_password_guessing_locks_the_username_not_the_colleagues(client):
    from models.tables import FailedAttempt

    await staff.create_user(username="target", password=PASSWORD, role="procurement")
    await staff.create_user(username="colleague", password=PASSWORD, role="procurement")
    page = await client.get("/staff/login")
    codes = []
    for _ in range(11):
        wrong = await client.post("/staff/login", data={
            "csrf": csrf_of(page), "username": "target", "password": "guess guess guess"})
        codes.append(wrong.status_code)
    assert codes[:10] == [400] * 10 and codes[10] == 429
    # Even the right password waits now: a guesser can't tell a hit while locked.
    _, right = await password_step(client, "target")
    assert right.status_code == 429 and "ten minutes" in right.text
    # Counted in the database (every worker sees it); a colleague at the same address is fine.
    assert await FailedAttempt.count().where(FailedAttempt.key == "target") == 10
    _, colleague = await password_step(client, "colleague")
    assert colleague.status_code == 303 and colleague.headers["location"] == "/staff/"


async def test_wrong_codes_are_limited_too(client):
    await staff.create_user(username="rev2", password=PASSWORD, role="reviewer")
    csrf, response = await password_step(client, "rev2")
    await client.get(response.headers["location"])
    codes = [(await client.post("/staff/login/mfa", data={"csrf": csrf, "code": "000000"})).status_code
             for _ in range(11)]
    assert codes[:10] == [400] * 10 and codes[10] == 429


async def test_other_scripts_digits_and_non_ascii_cookies_are_a_4xx(client):
    await staff.create_user(username="rev3", password=PASSWORD, role="reviewer")
    csrf, response = await password_step(client, "rev3")
    await client.get(response.headers["location"])
    for code in ["\u0661\u0662\u0663\u0664\u0665\u0666", "\uff11" * 6, "\u00b2" * 6, "12345\u0663"]:
        answer = await client.post("/staff/login/mfa", data={"csrf": csrf, "code": code})
        assert answer.status_code == 400 and "not right" in answer.text, code
    assert totp.verify(totp.new_secret(), "\u0661" * 6) is None
    for forged in ["1.9999999999.\u00e9", "\u0661.9999999999.abc", "\u00e9"]:
        client.cookies.clear()
        answer = await client.get("/staff/login/mfa", follow_redirects=False,
                                  headers={"Cookie": f"portal_mfa={forged}".encode()})
        assert answer.status_code == 303, forged


def _client_at(address: str):
    import httpx

    from tests.integration.conftest import app

    transport = httpx.ASGITransport(app=app(), client=(address, 4321))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _lock(client, username):
    page = await client.get("/staff/login")
    codes = [(await client.post("/staff/login", data={
        "csrf": csrf_of(page), "username": username, "password": "guess guess guess"})).status_code
        for _ in range(11)]
    assert codes[-1] == 429


async def test_a_locked_username_still_signs_in_with_the_second_factor_from_a_clean_address(
        client):
    user_id = await staff.create_user(username="locked-rev", password=PASSWORD, role="reviewer")
    secret = totp.new_secret()
    from portal.staff import auth

    await StaffMember.update({StaffMember.totp_secret: auth.seal(secret)}).where(
        StaffMember.user == user_id)
    await _lock(client, "locked-rev")
    _, still = await password_step(client, "locked-rev")
    assert still.status_code == 429  # not from the guessing address
    async with _client_at("10.9.0.2") as office:
        csrf, step = await password_step(office, "locked-rev")
        assert step.status_code == 303 and step.headers["location"].startswith("/staff/login/mfa")
        assert "id" not in office.cookies  # the password alone opens nothing
        ok = await office.post("/staff/login/mfa", data={
            "csrf": csrf, "code": totp.code_at(secret, totp.current_step()), "next": "/staff/"})
        assert ok.status_code == 303 and ok.headers["location"] == "/staff/"
        assert (await office.get("/staff/")).status_code == 200
    # A clean address gets one try, and a wrong password there looks the same as a right one:
    # on to the code step, where no code passes; the address is then refused like the rest.
    async with _client_at("10.9.0.3") as other:
        page = await other.get("/staff/login")
        wrong = await other.post("/staff/login", data={
            "csrf": csrf_of(page), "username": "locked-rev", "password": "still guessing"},
            follow_redirects=False)
        assert wrong.status_code == 303 and wrong.headers["location"] == step.headers["location"]
        code_page = await other.get(wrong.headers["location"])
        assert code_page.status_code == 200 and "locked-rev" not in code_page.text
        refused = await other.post("/staff/login/mfa", data={
            "csrf": csrf_of(page), "code": totp.code_at(secret, totp.current_step() + 1),
            "next": "/staff/"})
        assert refused.status_code == 400 and "id" not in other.cookies
        _, right = await password_step(other, "locked-rev")
        assert right.status_code == 429


async def test_the_locked_way_back_tells_a_guesser_nothing(client):
    """Right password, wrong password, unknown username: the same answer and the same page."""
    user_id = await staff.create_user(username="locked-two", password=PASSWORD, role="reviewer")
    from portal.staff import auth

    await StaffMember.update({StaffMember.totp_secret: auth.seal(totp.new_secret())}).where(
        StaffMember.user == user_id)
    await _lock(client, "locked-two")
    await _lock(client, "nobody-here")
    seen = []
    for n, (username, password) in enumerate((("locked-two", PASSWORD),
                                              ("locked-two", "wrong wrong wrong"),
                                              ("nobody-here", PASSWORD))):
        async with _client_at(f"10.9.1.{n + 1}") as office:
            page = await office.get("/staff/login")
            answer = await office.post("/staff/login", data={
                "csrf": csrf_of(page), "username": username, "password": password},
                follow_redirects=False)
            code_page = await office.get(answer.headers["location"])
            seen.append((answer.status_code, answer.headers["location"], code_page.status_code,
                         re.sub(r'value="[^"]{20,}"', "", code_page.text)))
    assert seen[0] == seen[1] == seen[2], [s[:3] for s in seen]
    assert seen[0][0] == 303 and "totp-secret" not in seen[0][3]


async def test_a_locked_username_without_a_second_factor_cannot_enrol_one_on_the_way_back(
        client):
    """Whoever holds the password of an account with no authenticator would enrol their own;
    the way back offers enrolment to no one: the account waits out the lock."""
    await staff.create_user(username="locked-buyer", password=PASSWORD, role="procurement")
    await _lock(client, "locked-buyer")
    async with _client_at("10.9.0.4") as office:
        csrf, step = await password_step(office, "locked-buyer")
        assert step.status_code == 303 and step.headers["location"].startswith("/staff/login/mfa")
        page = await office.get(step.headers["location"])
        assert "totp-secret" not in page.text and "wait ten minutes" in page.text
        member = await StaffMember.select().where(StaffMember.totp_pending != "").first()
        assert member is None  # no secret was even made
        refused = await office.post("/staff/login/mfa", data={
            "csrf": csrf, "code": "123456", "next": "/staff/"})
        assert refused.status_code == 400 and "id" not in office.cookies
