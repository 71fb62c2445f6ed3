"""The `portal` command, migrations on an empty database, demo and seed data."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import uuid

import pytest
from click.testing import CliRunner

from models.tables import (
    ALL_TABLES,
    ApiToken,
    AuditEvent,
    Certification,
    Contract,
    Organisation,
    StaffMember,
    Supplier,
    SupplierContact,
)
from portal.cli import cli
from portal.core.security import hash_secret


def run_cli(*args: str, input: str | None = None):
    # The CLI runs its own event loop, so call it from a worker thread.
    return asyncio.to_thread(CliRunner().invoke, cli, list(args), input=input,
                             catch_exceptions=False)


async def test_create_token_prints_the_token_last_and_stores_its_hash():
    result = await run_cli("create-token", "--name", "finance-sync", "--role", "procurement")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("spt_")
    row = await ApiToken.select().where(ApiToken.token_hash == hash_secret(token)).first()
    assert row["role"] == "procurement"


async def test_create_token_refuses_an_unknown_role():
    result = await run_cli("create-token", "--name", "x", "--role", "superhero")
    assert result.exit_code == 2


async def test_create_user_from_a_password_file(tmp_path):
    password_file = tmp_path / "pw"
    password_file.write_text("a long enough password\n")
    result = await run_cli("create-user", "--username", "iglead", "--role", "reviewer",
                           "--password-file", str(password_file))
    assert result.exit_code == 0, result.output
    assert await StaffMember.count().where(StaffMember.role == "reviewer") == 1
    from piccolo.apps.user.tables import BaseUser

    assert await BaseUser.login("iglead", "a long enough password") is not None
    again = await run_cli("create-user", "--username", "iglead", "--role", "reviewer",
                          "--password-file", str(password_file))
    assert again.exit_code == 1
    assert "already exists" in again.output


async def test_short_passwords_are_refused(tmp_path):
    password_file = tmp_path / "pw"
    password_file.write_text("short")
    result = await run_cli("create-user", "--username", "x", "--role", "auditor",
                           "--password-file", str(password_file))
    assert result.exit_code == 1
    assert "at least" in result.output


async def test_demo_is_believable_and_idempotent(tmp_path):
    from portal.demo import load_demo

    first = await load_demo(data_dir=tmp_path)
    assert first.created_suppliers >= 25
    assert set(first.credentials) == {"demo-admin", "demo-procurement", "demo-reviewer",
                                      "demo-auditor"}
    counts = (await Supplier.count(), await Contract.count(), await Certification.count(),
              await SupplierContact.count(), await Organisation.count())
    assert counts[0] >= 25 and counts[1] >= 25 and counts[2] >= 30 and counts[4] == 1
    names = [s["name"] for s in await Supplier.select(Supplier.name)]
    assert any("Cleaning" in n for n in names)
    assert not (await Supplier.select().where(Supplier.name.like("%Cleaning%")).first())[
        "handles_personal_data"]
    again = await load_demo(data_dir=tmp_path)
    assert again.created_suppliers == 0
    assert again.credentials == first.credentials
    assert (await Supplier.count(), await Contract.count(), await Certification.count(),
            await SupplierContact.count(), await Organisation.count()) == counts
    assert await AuditEvent.count().where(AuditEvent.action == "supplier.created") == counts[0]


async def test_seed_generates_suppliers_with_contracts_and_certifications():
    from portal.demo import seed

    await seed(suppliers_count=120, batch=50)
    assert await Supplier.count() == 120
    assert await Contract.count() == 360
    assert await Certification.count() == 360


def _fresh_database_url(tmp_path, pg_server_url):
    if pg_server_url:
        import asyncpg

        name = f"portal_mig_{uuid.uuid4().hex[:8]}"

        async def create():
            conn = await asyncpg.connect(pg_server_url)
            await conn.execute(f'CREATE DATABASE "{name}"')
            await conn.close()

        asyncio.run(create())
        from tests.conftest import _with_database

        return _with_database(pg_server_url, name), name
    return f"sqlite:///{tmp_path}/empty.sqlite3", None


def test_migrations_build_the_schema_on_an_empty_database(tmp_path, pg_server_url):
    url, pg_name = _fresh_database_url(tmp_path, pg_server_url)
    env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_DATA_DIR": str(tmp_path)}
    try:
        for _ in range(2):  # the second run is a no-op
            result = subprocess.run([sys.executable, "-m", "portal.cli", "migrate"], env=env,
                                    capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, result.stderr
        expected = {t._meta.tablename for t in ALL_TABLES} | {"piccolo_user", "sessions"}
        if pg_name:
            import asyncpg

            async def tables():
                conn = await asyncpg.connect(url)
                rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
                await conn.close()
                return {r["tablename"] for r in rows}

            found = asyncio.run(tables())
        else:
            with sqlite3.connect(tmp_path / "empty.sqlite3") as conn:
                found = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert expected <= found
    finally:
        if pg_name:
            import asyncpg

            async def drop():
                conn = await asyncpg.connect(pg_server_url)
                await conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
                await conn.close()

            asyncio.run(drop())


async def test_models_match_the_migrations():
    """A table change without its migration fails here (and would break a fresh install)."""
    from piccolo.apps.migrations.commands.new import AutoMigrationManager

    from models.piccolo_app import APP_CONFIG

    statements = await AutoMigrationManager(auto_input="y").get_alter_statements(
        app_config=APP_CONFIG)
    pending = [line for group in statements for line in group.statements]
    assert pending == [], "models changed without a migration: piccolo migrations new portal --auto"


@pytest.mark.parametrize("args", [["seed", "--suppliers", "0"], ["revoke-token", "abc"]])
async def test_cli_rejects_bad_arguments(args):
    assert (await run_cli(*args)).exit_code == 2


async def test_demo_has_history_so_the_last_deadline_can_be_rebuilt(tmp_path):
    """`portal demo` enters part of the register in the spring before the last 30 June (the
    audit trail's clock seam), the rest and later changes today: the pack as at the deadline
    has records, differs from today's, and the trail rebuilds today's records exactly."""
    import datetime as dt

    from portal.core.dates import end_of_uk_day
    from portal.demo import history_day, load_demo
    from portal.reports import snapshot
    from portal.reports.service import manifest

    today = dt.date.today()
    spring = history_day(today)
    deadline = dt.date(spring.year, 6, 30)
    assert spring < deadline < today
    await load_demo(data_dir=tmp_path, today=today)
    early = await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.occurred_at < end_of_uk_day(spring))
    assert {"organisation.created", "supplier.created", "contract.created"} <= {
        e["action"] for e in early}
    then, now = await snapshot.portfolio(as_at=deadline), await snapshot.portfolio()
    assert 0 < len(then["suppliers"]) < len(now["suppliers"])
    assert then["recorded_later"].get("certifications")  # issued by then, entered later
    assert then["unaudited"] == {}

    def mechanism(data, key):
        supplier = next(s["id"] for s in data["suppliers"] if s["supplier_key"] == key)
        return next(c["transfer_mechanism"] for c in data["contracts"] if c["supplier"] == supplier)
    assert (mechanism(then, "DEMO-13"), mechanism(now, "DEMO-13")) == ("unknown", "idta")
    rebuilt = await snapshot.portfolio(as_at=today)
    key = lambda r: (r["contract"], r["key"])  # noqa: E731
    assert sorted(rebuilt["clauses"], key=key) == sorted(now["clauses"], key=key)
    got, want = manifest({**rebuilt, "scores": []}), manifest({**now, "scores": []})
    assert [r for r in got if r[0] != "assessments"] == [r for r in want if r[0] != "assessments"]
    diff = [(a, b) for a, b in zip(rebuilt["assessments"], now["assessments"]) if a != b]
    assert diff == [], diff[:2]
    assert [(s["supplier"], s["score"], s["rating"]) for s in rebuilt["scores"]] == \
        [(s["supplier"], s["score"], s["rating"]) for s in now["scores"]]
