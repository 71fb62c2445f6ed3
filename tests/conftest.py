"""Test configuration: a scratch data dir and database per run, migrated once.

SQLite by default; with PORTAL_TEST_DATABASE_URL=postgresql://.../anydb each run creates its
own scratch database on that server (and drops it afterwards), so runs never collide.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from urllib.parse import urlparse, urlunparse

import pytest

_DATA_DIR = tempfile.mkdtemp(prefix="portal-test-")
_PG_SERVER = os.environ.get("PORTAL_TEST_DATABASE_URL")
_SCRATCH_DB = f"portal_test_{uuid.uuid4().hex[:10]}"


def _with_database(url: str, name: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{name}"))


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_PG_SERVER, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


for _name in [k for k in os.environ if k.startswith("PORTAL_")]:
    if _name != "PORTAL_TEST_DATABASE_URL":
        del os.environ[_name]
os.environ["PORTAL_ENV"] = "test"
os.environ["PORTAL_DATA_DIR"] = _DATA_DIR
os.environ["PICCOLO_CONF"] = "portal.piccolo_conf"
if _PG_SERVER:
    asyncio.run(_pg_admin(f'CREATE DATABASE "{_SCRATCH_DB}"'))
    os.environ["PORTAL_DATABASE_URL"] = _with_database(_PG_SERVER, _SCRATCH_DB)
else:
    os.environ["PORTAL_DATABASE_URL"] = f"sqlite:///{_DATA_DIR}/test.sqlite3"


def pytest_report_header(config):
    kind = "PostgreSQL (scratch database " + _SCRATCH_DB + ")" if _PG_SERVER else "SQLite"
    return f"portal test database: {kind}"


@pytest.fixture(scope="session", autouse=True)
def migrated_database():
    from portal.core.migrations import migrate
    from portal.wiring import wire

    wire()
    asyncio.run(migrate())
    yield
    if _PG_SERVER:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{_SCRATCH_DB}" WITH (FORCE)'))
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


@pytest.fixture
def is_postgres() -> bool:
    return bool(_PG_SERVER)


@pytest.fixture
def pg_server_url() -> str | None:
    return _PG_SERVER
