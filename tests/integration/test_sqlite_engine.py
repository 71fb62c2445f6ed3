"""The embedded default engine keeps connections for reuse and lets reads run while a
write transaction is open (WAL)."""

from __future__ import annotations

import asyncio

import pytest

from models.tables import Supplier
from portal.core.db import engine, write_transaction
from portal.core.sqlite import PooledSQLiteEngine
from tests import factories

pytestmark = pytest.mark.skipif(not isinstance(engine(), PooledSQLiteEngine),
                                reason="the embedded default engine only")


async def test_queries_reuse_connections():
    db = engine()
    # warm: every shared reader and one writing connection exist, whatever the tests before
    # this one left behind
    for _ in range(db.readers):
        await Supplier.count()
    async with write_transaction():
        await Supplier.count()
    opened = db.opened
    for _ in range(20):
        await Supplier.count()
    async with write_transaction():
        await Supplier.count()
    assert db.opened == opened


async def test_a_read_does_not_wait_for_an_open_write_transaction():
    await factories.supplier(name="Existing")
    writing, release = asyncio.Event(), asyncio.Event()

    async def writer():
        async with write_transaction():
            await Supplier.update({Supplier.name: "Renamed"}).where(Supplier.name == "Existing")
            writing.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await writing.wait()
    # the writer holds the write lock and has not committed: a reader sees the last commit
    names = await asyncio.wait_for(Supplier.select(Supplier.name), timeout=2)
    assert [r["name"] for r in names] == ["Existing"]
    release.set()
    await task
    assert [r["name"] for r in await Supplier.select(Supplier.name)] == ["Renamed"]


async def test_a_failed_statement_hands_back_a_clean_connection():
    db = engine()
    with pytest.raises(Exception):
        async with write_transaction():
            await Supplier.insert(Supplier(name="Half"))
            await db.run_ddl("SELECT * FROM no_such_table")
    assert await Supplier.count() == 0
    for connection in db._idle:
        assert not connection.in_transaction


async def test_two_writers_queue_instead_of_failing():
    async def write(n):
        async with write_transaction():
            await Supplier.insert(Supplier(name=f"S{n}"))
            await asyncio.sleep(0.01)

    await asyncio.gather(*(write(n) for n in range(8)))
    assert await Supplier.count() == 8


async def test_a_write_commits_while_a_long_read_is_open():
    await factories.supplier(name="Existing")
    reading, release = asyncio.Event(), asyncio.Event()

    async def long_read():
        async with engine().transaction():  # a read transaction holding its snapshot
            assert await Supplier.count() == 1
            reading.set()
            await release.wait()
            assert await Supplier.count() == 1  # its snapshot, not the writer's commit

    task = asyncio.create_task(long_read())
    await reading.wait()
    try:
        await asyncio.wait_for(factories.supplier(name="Second"), timeout=3)
    finally:
        release.set()
        await task
    assert await Supplier.count() == 2


async def test_reads_fired_together_share_the_readers_instead_of_opening_connections():
    db = engine()
    await asyncio.gather(*(Supplier.count() for _ in range(4)))
    opened = db.opened
    counts = await asyncio.gather(*(Supplier.count() for _ in range(50)))
    assert counts == [0] * 50
    assert db.opened == opened  # one connection per query at once opened up to 50


def _fresh(**options) -> PooledSQLiteEngine:
    """An engine of its own on the test database: its readers start from none."""
    return PooledSQLiteEngine(path=engine().path, timeout=30, **options)


async def _scalar(db: PooledSQLiteEngine, sql: str):
    from piccolo.querystring import QueryString

    rows = await db.run_querystring(QueryString(sql))
    return next(iter(rows[0].values()))


async def test_a_burst_of_first_reads_opens_only_the_readers():
    db = _fresh(readers=2)
    try:
        assert await asyncio.gather(*(_scalar(db, "SELECT 1") for _ in range(20))) == [1] * 20
        assert len(db._readers) == 2
        opened = db.opened
        await asyncio.gather(*(_scalar(db, "SELECT 2") for _ in range(20)))
        assert db.opened == opened
    finally:
        await db.close_idle()


async def test_a_long_read_does_not_hold_up_the_reads_after_it():
    db = _fresh(readers=1, slow_read=0.05)
    long = ("SELECT (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
            "WHERE x < 5000000) SELECT count(*) FROM c)")
    try:
        await _scalar(db, "SELECT 1")  # the one reader
        started = asyncio.get_running_loop().time()
        slow = asyncio.create_task(_scalar(db, long))
        await asyncio.sleep(0.1)
        assert await asyncio.wait_for(_scalar(db, "SELECT 3"), timeout=2) == 3
        assert not slow.done(), "the long read ended too soon to show anything"
        assert await slow == 5000000
        assert asyncio.get_running_loop().time() - started > 0.1
    finally:
        await db.close_idle()


async def test_a_failed_read_retires_its_reader_and_the_others_go_on():
    from piccolo.querystring import QueryString

    db = _fresh(readers=2)
    try:
        await asyncio.gather(_scalar(db, "SELECT 1"), _scalar(db, "SELECT 1"))
        first = list(db._readers)
        with pytest.raises(Exception, match="no_such_table"):
            await db.run_querystring(QueryString("SELECT * FROM no_such_table"))
        assert len([c for c in first if c in db._readers]) == 1
        assert await asyncio.gather(*(_scalar(db, "SELECT 4") for _ in range(6))) == [4] * 6
        assert len(db._readers) == 2  # a new one took the retired one's place
        assert all(not connection.in_transaction for connection in db._readers)
    finally:
        await db.close_idle()
