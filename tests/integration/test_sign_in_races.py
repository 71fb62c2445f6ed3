"""Guessing limits and one-time codes hold when the requests arrive together.

A real server with two worker processes (uvicorn --workers 2, see tests/net.py), the attempts
fired at once. Run on PostgreSQL (PORTAL_TEST_DATABASE_URL) to test what production runs; on
SQLite they pass too (its writes queue). Addresses are set with X-Forwarded-For, which uvicorn
trusts from loopback as it trusts the proxy in front of it.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from models.tables import FailedAttempt, StaffMember
from portal.core import staff, totp
from portal.staff import auth
from tests.net import running_portal

PASSWORD = "a sensible long password"
CSRF = "c" * 43  # the double-submit token: cookie and field alike


@pytest.fixture(scope="module")
def server():
    auth.seal("warm-up")  # makes the dev secret key before two workers race to make it
    with running_portal(workers=2) as base:
        yield base


def _headers(address: str, cookies: dict[str, str] | None = None) -> dict[str, str]:
    jar = {"portal_csrf": CSRF, **(cookies or {})}
    return {"X-Forwarded-For": address, "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}


async def _post(client: httpx.AsyncClient, path: str, data: dict, address: str,
                cookies: dict[str, str] | None = None) -> httpx.Response:
    return await client.post(path, data={"csrf": CSRF, **data}, headers=_headers(address, cookies))


async def _together(n: int, make) -> list[httpx.Response]:
    """n requests released at the same moment, each on its own connection."""
    start = asyncio.Event()
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)

    async def one(i: int, client: httpx.AsyncClient) -> httpx.Response:
        await start.wait()
        return await make(client, i)

    async with httpx.AsyncClient(base_url=SERVER["base"], timeout=60, limits=limits) as client:
        tasks = [asyncio.create_task(one(i, client)) for i in range(n)]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)


SERVER: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _base(server):
    SERVER["base"] = server


async def test_forty_wrong_passwords_at_once_are_not_all_checked():
    await staff.create_user(username="target", password=PASSWORD, role="procurement")
    responses = await _together(40, lambda c, i: _post(
        c, "/staff/login", {"username": "target", "password": f"guess number {i}"}, "10.1.0.1"))
    codes = [r.status_code for r in responses]
    assert set(codes) <= {400, 429}, codes
    checked = codes.count(400)
    # Limit 10 per username in 10 minutes. (A burst may even be refused whole: each attempt
    # counts the others still running.)
    assert checked <= 10, codes
    assert await FailedAttempt.count().where(FailedAttempt.key == "target") == checked
    async with httpx.AsyncClient(base_url=SERVER["base"]) as client:
        # Attempts refused while the burst ran are not held against the username: one at a
        # time, the guesser gets what is left of the ten, and not one more.
        more = [(await _post(client, "/staff/login", {"username": "target", "password": "again"},
                             "10.1.0.1")).status_code for _ in range(12)]
        assert more == [400] * (10 - checked) + [429] * (2 + checked), more
        # The right password from the guessing address is refused too: no hit can be seen.
        right = await _post(client, "/staff/login", {"username": "target", "password": PASSWORD},
                            "10.1.0.1")
    assert right.status_code == 429


async def test_eighty_usernames_from_one_address_at_once_are_not_all_checked():
    responses = await _together(80, lambda c, i: _post(
        c, "/staff/login", {"username": f"sprayed-{i}", "password": "Winter2025!"}, "10.2.0.1"))
    codes = [r.status_code for r in responses]
    assert set(codes) <= {400, 429}, codes
    checked = codes.count(400)
    assert checked <= 50, codes  # limit 50 per address in 10 minutes
    async with httpx.AsyncClient(base_url=SERVER["base"]) as client:
        more = [(await _post(client, "/staff/login", {"username": f"later-{i}", "password": "x"},
                             "10.2.0.1")).status_code for i in range(52)]
    assert more == [400] * (50 - checked) + [429] * (2 + checked), more


async def test_one_code_posted_three_times_at_once_signs_in_once():
    user_id = await staff.create_user(username="rev", password=PASSWORD, role="reviewer")
    secret = totp.new_secret()
    await StaffMember.update({StaffMember.totp_secret: auth.seal(secret)}).where(
        StaffMember.user == user_id)
    async with httpx.AsyncClient(base_url=SERVER["base"]) as client:
        step = await _post(client, "/staff/login", {"username": "rev", "password": PASSWORD},
                           "10.3.0.1")
    assert step.status_code == 303 and step.headers["location"].startswith("/staff/login/mfa")
    pending = step.cookies["portal_mfa"]
    # Not at the very end of a 30 s step, so all three carry a code for the same step.
    while totp.current_step(time.time() + 3) != totp.current_step():
        await asyncio.sleep(0.5)
    code = totp.code_at(secret, totp.current_step())
    for n in (3, 6):
        responses = await _together(n, lambda c, i: _post(
            c, "/staff/login/mfa", {"code": code, "next": "/staff/"}, "10.3.0.1",
            {"portal_mfa": pending}))
        codes = [r.status_code for r in responses]
        signed_in = [r for r in responses if r.status_code == 303 and "id" in r.cookies]
        assert len(signed_in) == (1 if n == 3 else 0), codes  # used once, then never again
        assert codes.count(400) == n - len(signed_in), codes


async def test_forty_wrong_codes_at_once_are_not_all_checked():
    user_id = await staff.create_user(username="rev2", password=PASSWORD, role="reviewer")
    await StaffMember.update({StaffMember.totp_secret: auth.seal(totp.new_secret())}).where(
        StaffMember.user == user_id)
    pending = auth.pending_cookie_value(user_id)
    responses = await _together(40, lambda c, i: _post(
        c, "/staff/login/mfa", {"code": f"{i:06d}"}, "10.4.0.1", {"portal_mfa": pending}))
    codes = [r.status_code for r in responses]
    assert set(codes) <= {400, 429}, codes
    checked = codes.count(400)
    assert checked <= 10, codes
    async with httpx.AsyncClient(base_url=SERVER["base"]) as client:
        more = [(await _post(client, "/staff/login/mfa", {"code": "000000"}, "10.4.0.1",
                             {"portal_mfa": pending})).status_code for _ in range(12)]
    assert more == [400] * (10 - checked) + [429] * (2 + checked), more


async def test_forty_wrong_links_and_tokens_at_once_get_at_most_twenty_answers():
    links = await _together(40, lambda c, i: c.get(
        f"/api/v1/respond/guess-{i}", headers={"X-Forwarded-For": "10.5.0.1"}))
    codes = [r.status_code for r in links]
    assert set(codes) <= {404, 429}, codes
    answered = codes.count(404)
    assert answered <= 20, codes
    async with httpx.AsyncClient(base_url=SERVER["base"]) as client:
        more = [(await client.get(f"/api/v1/respond/again-{i}", headers={
            "X-Forwarded-For": "10.5.0.1"})).status_code for i in range(22)]
    assert more == [404] * (20 - answered) + [429] * (2 + answered), more
    tokens = await _together(40, lambda c, i: c.get(
        "/api/v1/suppliers", headers={"X-Forwarded-For": "10.5.0.2",
                                      "Authorization": f"Bearer spt_wrong{i}"}))
    codes = [r.status_code for r in tokens]
    assert set(codes) <= {401, 429}, codes
    assert codes.count(401) <= 20, codes
