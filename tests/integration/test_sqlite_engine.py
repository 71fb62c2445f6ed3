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


async def test_a_failed_read_leaves_its_shared_reader_working():
    from piccolo.querystring import QueryString

    db = engine()
    await factories.supplier(name="Existing")
    for _ in range(db.readers + 1):
        with pytest.raises(Exception, match="no_such_table"):
            await db.run_querystring(QueryString("SELECT * FROM no_such_table"))
    names = await asyncio.gather(*(Supplier.select(Supplier.name) for _ in range(6)))
    assert all([r["name"] for r in found] == ["Existing"] for found in names)
    assert all(not connection.in_transaction for connection in db._readers)
