"""The PostgreSQL pool hands a connection back as it is (no RESET ALL round trip on every
release: `_keep_session` in portal/core/db.py), which is safe only while nothing in the
portal leaves state in a session: these tests keep it so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

from portal.core.audit import seal
from portal.core.db import engine
from tests.integration.conftest import SUPPLIER

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for folder in ("portal", "models", "questionnaires", "admin")
           for p in (ROOT / folder).rglob("*.py")]

# SQL that outlives its transaction: session settings, session advisory locks, listeners,
# cursors held past commit, prepared statements by name.
SESSION_STATE = [
    re.compile(r"""(?<!\w)["']\s*SET\s+(?!LOCAL\b)(SESSION\s+)?[A-Za-z_."]+\s*(=|TO\b)""", re.I),
    re.compile(r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.I),
    re.compile(r"set_config\s*\([^)]*,\s*false\s*\)", re.I),
    re.compile(r"""["']\s*(LISTEN|PREPARE)\s""", re.I),
    re.compile(r"WITH\s+HOLD", re.I),
]


def test_no_portal_sql_leaves_state_in_a_session():
    assert len(SOURCES) > 50
    found = [f"{path.relative_to(ROOT)}: {match.group(0)}"
             for path in SOURCES for pattern in SESSION_STATE
             for match in pattern.finditer(path.read_text())]
    assert not found, found


def test_the_session_state_patterns_find_what_they_are_for():
    samples = ['"SET statement_timeout = 0"', "'SET SESSION work_mem TO 64'",
               "SELECT pg_advisory_lock(7)", "pg_try_advisory_lock({})",
               "set_config('x.y', 'z', false)", '"LISTEN changes"', "DECLARE c CURSOR WITH HOLD"]
    allowed = ['"SET LOCAL lock_timeout = 1"', 'UPDATE "answer" SET "value" = {}',
               "SELECT pg_advisory_xact_lock({})", "pg_try_advisory_xact_lock({}) AS got"]
    assert all(any(p.search(s) for p in SESSION_STATE) for s in samples)
    assert not any(p.search(s) for p in SESSION_STATE for s in allowed)


async def test_pooled_connections_hold_no_advisory_lock_after_writes_and_sealing(
        client, procurement):
    db = engine()
    if not isinstance(db, PostgresEngine):
        pytest.skip("PostgreSQL's pool")
    for name in ("A", "B", "C"):
        response = await client.post("/api/v1/suppliers", json={**SUPPLIER, "name": name},
                                     headers=procurement)
        assert response.status_code == 201, response.text
    await seal()  # takes the chain's advisory lock, in its own transaction (how many it seals
    # depends on transactions anywhere on the server: the PostgreSQL of a shared machine)
    held = await db.run_querystring(QueryString(
        "SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND a.datname = current_database()"))
    assert held[0]["n"] == 0
    failed = None
    try:
        async with db.transaction():
            await db.run_querystring(QueryString("SELECT 1/0"))
    except Exception as error:  # noqa: BLE001 - the point is what the next user of it gets
        failed = error
    assert failed is not None
    # the connection that failed went back rolled back: every pooled one takes new work
    for _ in range(db.pool.get_max_size() + 1):
        assert (await db.run_querystring(QueryString("SELECT 1 AS one")))[0]["one"] == 1
