"""Integration fixtures: a clean database per test, an HTTP client, staff credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from piccolo.apps.user.tables import BaseUser
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString
from piccolo_api.session_auth.tables import SessionsBase

from models.tables import ALL_TABLES
from portal.core import staff
from portal.core.db import close_pool, engine, start_pool
from portal.settings import get_settings

_APP = None


def app():
    global _APP
    if _APP is None:
        from portal.app import create_app

        _APP = create_app()
    return _APP


async def truncate_all() -> None:
    tables = [t._meta.tablename for t in reversed(ALL_TABLES)] + [
        SessionsBase._meta.tablename, BaseUser._meta.tablename]
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.run_querystring(QueryString(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            await db.run_querystring(QueryString(f'DELETE FROM "{table}"'))


@pytest.fixture(autouse=True)
async def clean_database() -> AsyncIterator[None]:
    await truncate_all()
    yield


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # httpx's ASGI transport runs the app in the test's own event loop (Litestar's test
    # client hops to a helper thread, where a PostgreSQL pool from this loop can't be used).
    await start_pool(get_settings())
    transport = httpx.ASGITransport(app=app())
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c
    finally:
        await close_pool()


class Credentials:
    """Bearer headers per role, created on first use."""

    def __init__(self) -> None:
        self._cache: dict[str, dict[str, str]] = {}

    async def headers(self, role: str) -> dict[str, str]:
        if role not in self._cache:
            issued = await staff.create_token(name=f"test-{role}", role=role)
            self._cache[role] = {"Authorization": f"Bearer {issued.token}"}
        return self._cache[role]


@pytest.fixture
def credentials() -> Credentials:
    return Credentials()


@pytest.fixture
async def procurement(credentials) -> dict[str, str]:
    return await credentials.headers("procurement")


@pytest.fixture
async def reviewer(credentials) -> dict[str, str]:
    return await credentials.headers("reviewer")


@pytest.fixture
async def auditor(credentials) -> dict[str, str]:
    return await credentials.headers("auditor")


async def staff_session(role: str, username: str | None = None, *,
                        second_factor: bool = True) -> str:
    """A back-office session for a new staff user; by default one that passed the second
    factor (roles that need it are refused without)."""
    user_id = await staff.create_user(username=username or f"{role}-user", role=role,
                                      password="correct horse battery staple")
    session = await SessionsBase.create_session(user_id=user_id)
    if second_factor:
        from models.tables import VerifiedSession
        from portal.core.security import hash_secret

        await VerifiedSession.insert(VerifiedSession(session_hash=hash_secret(session.token),
                                                     user=user_id))
    return session.token


SUPPLIER = {
    "name": "Meridian Health Records",
    "legal_name": "Meridian Health Records Ltd",
    "companies_house_number": "01234567",
    "ico_registration_number": "ZA123456",
    "ods_code": "8jd12",
    "website": "https://meridian.example.co.uk",
    "handles_personal_data": True,
    "handles_patient_data": True,
    "affects_care": True,
}


def contract_body(supplier_id: int, **overrides) -> dict:
    body = {
        "supplier_id": supplier_id,
        "title": "Electronic patient record",
        "reference": "RCH-EPR-2025",
        "products_services": ["EPR licence", "Hosting"],
        "start_date": "2025-04-01",
        "end_date": "2028-03-31",
        "notice_date": "2027-09-30",
        "annual_value": "125000.00",
        "data_role": "processor",
        "personal_data": True,
        "patient_data": True,
    }
    body.update(overrides)
    return body


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd); yields it and the envelopes it received."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    from tests.net import free_port

    received = []

    class Collect(Sink):
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    controller = Controller(Collect(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, received
    controller.stop()
