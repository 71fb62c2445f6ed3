"""The database engine and transactions, the same way for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString

from portal.core import changes
from portal.core.sqlite import PooledSQLiteEngine

if TYPE_CHECKING:
    from portal.settings import Settings


def build_engine(settings: Settings) -> Engine:
    if settings.is_postgres:
        return PostgresEngine(config={"dsn": settings.effective_database_url}, log_queries=False)
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    # timeout: wait for a concurrent writer instead of failing with "database is locked"
    return PooledSQLiteEngine(path=str(path), timeout=30)


def engine() -> Engine:
    from piccolo.engine.finder import engine_finder

    found = engine_finder()
    if found is None:  # pragma: no cover - PICCOLO_CONF always set by portal/__init__
        raise RuntimeError("no Piccolo engine configured")
    return found


@contextlib.asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for work that reads then writes.

    SQLite needs BEGIN IMMEDIATE so two writers queue instead of deadlocking; nested
    calls join the outer transaction, so a service and its audit event commit together.
    Just before the outermost one commits, derived data (scores, tiers) is brought up to
    date for every supplier its writes touched (`portal.core.changes`).
    """
    db = engine()
    if db.current_transaction.get() is not None:
        yield
        return
    token = changes.begin()
    try:
        if isinstance(db, SQLiteEngine):
            async with db.transaction(transaction_type=TransactionType.immediate):
                yield
                await changes.derive()
        else:
            async with db.transaction():
                yield
                await changes.derive()
    finally:
        changes.end(token)


async def start_pool(settings: Settings) -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(max_size=settings.db_pool_size)


async def close_pool(timeout: float = 10.0) -> None:
    """Close the pool, waiting for connections in use up to `timeout`; then close it hard,
    so that a stuck connection never keeps the process from stopping."""
    db = engine()
    if isinstance(db, PooledSQLiteEngine):
        await db.close_idle()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        pool, db.pool = db.pool, None
        try:
            await asyncio.wait_for(pool.close(), timeout)
        except TimeoutError:
            pool.terminate()


async def ping() -> None:
    """Raise if the database does not answer a trivial query."""
    await engine().run_querystring(QueryString("SELECT 1"))


def _json_as_text() -> None:
    """SQLite gives a JSON column numeric affinity, so a stored `5` came back as the number 5
    where PostgreSQL gives the text '5' (and piccolo_api's schemas then refused the row: the
    back office's Answer list). Read JSON columns as their text on both engines."""
    import sqlite3

    sqlite3.register_converter("JSON", lambda raw: raw.decode("utf-8"))


_json_as_text()
