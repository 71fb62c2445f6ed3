"""The embedded default engine: SQLite with a few long-lived connections per worker.

Piccolo's SQLiteEngine opens a new connection (and a new thread, with aiosqlite) for every
query and every transaction, then runs a PRAGMA before each statement: on a list page that
is most of the time spent. This engine keeps idle connections for reuse, sets them up once
(WAL, so readers never wait for a writer and a writer never waits for readers; a busy
timeout, so writers queue instead of failing; foreign keys on), and otherwise behaves as
Piccolo's engine does, so the choice of engine stays one setting.

No event-loop-bound locks: a connection is taken from the idle list or opened fresh, and put
back (or closed, past `idle_size`) when the query or transaction ends, so it works the same
under uvicorn, the CLI and tests that run a new loop for each test.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import sqlite3
import time
from decimal import Decimal
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory


def _execute_and_fetch(connection: sqlite3.Connection, query: str, args: list[Any]) -> list:
    # Rows come back as tuples and become dicts here, the column names read once per
    # statement: Piccolo's dict_factory walks cursor.description again for every row (a
    # 30,000-contract read spent about a fifth of its time there, profiled).
    cursor = connection.cursor()
    cursor.row_factory = None
    try:
        rows = cursor.execute(query, args).fetchall()
        if not rows or cursor.description is None:
            return rows
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in rows]
    finally:
        cursor.close()


# The same conversions as Piccolo's SQLite converters (piccolo.engine.sqlite.CONVERTERS),
# without their wrapper's type checks and, for INTEGER, without going through Decimal for
# every value: a read of 30,000 contracts converts over 300,000 values. sqlite3 keeps one
# converter per declared type for the whole process, so these replace Piccolo's.
def _int_out(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:  # SQLite keeps what it is given: '1.0' in an INTEGER column is 1
        return int(Decimal(value.decode("utf8")))


def _boolean_out(value: bytes) -> bool:
    return value == b"1"


def _date_out(value: bytes) -> dt.date:
    return dt.date.fromisoformat(value.decode("utf8"))


def _timestamptz_out(value: bytes) -> dt.datetime:
    return dt.datetime.fromisoformat(value.decode("utf8")).replace(tzinfo=dt.UTC)


for _declared, _converter in (("INTEGER", _int_out), ("BOOLEAN", _boolean_out),
                              ("DATE", _date_out), ("TIMESTAMPTZ", _timestamptz_out)):
    sqlite3.register_converter(_declared, _converter)


async def _fetch_all(connection: aiosqlite.Connection, query: str,
                     args: list[Any] | None) -> list:
    """Run one statement and fetch its rows in one trip to the connection's thread.

    aiosqlite's cursor API makes three (execute, fetchall, close), each a hand-off between
    the event loop and the thread: profiled on the supplier list at 10,000 suppliers, those
    waits were more than half of a request (12 hand-offs for 4 statements, ~6 ms).
    ``_execute`` is how aiosqlite's own methods queue work on that thread.
    """
    return await connection._execute(_execute_and_fetch, connection._conn, query, args or [])


class _PooledTransaction(SQLiteTransaction):
    engine: PooledSQLiteEngine

    async def get_connection(self) -> aiosqlite.Connection:
        return await self.engine.acquire()

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        healthy = True
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            healthy = False
            raise
        finally:
            await self.engine.release(self.connection, healthy=healthy)
            self.engine.current_transaction.reset(self.context)
        return exception is None


class PooledSQLiteEngine(SQLiteEngine):
    def __init__(self, path: str, *, idle_size: int = 4, readers: int = 2,
                 slow_read: float = 0.05, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self.idle_size = idle_size
        self._idle: list[aiosqlite.Connection] = []
        self.readers = readers
        self._readers: list[aiosqlite.Connection] = []
        # when each read still queued or running on a reader was sent, oldest first
        self._pending: dict[int, collections.deque[float]] = {}
        self._opening = 0
        self.slow_read = slow_read
        self.opened = 0  # connections opened so far (for tests and diagnostics)

    async def _open(self) -> aiosqlite.Connection:
        connection = aiosqlite.connect(**self.connection_kwargs)
        # an idle connection must never keep the process from exiting (its worker thread
        # is joined at exit otherwise); `close_idle` closes them on a clean stop
        connection._thread.daemon = True
        await connection
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe with WAL
        self.opened += 1
        return connection

    async def acquire(self) -> aiosqlite.Connection:
        while self._idle:
            connection = self._idle.pop()
            if connection._running and connection._connection is not None:
                return connection
        return await self._open()

    async def release(self, connection: aiosqlite.Connection, *, healthy: bool = True) -> None:
        try:
            if healthy and connection.in_transaction:
                await connection.rollback()  # never hand on a half-finished transaction
        except Exception:
            healthy = False
        if healthy and len(self._idle) < self.idle_size:
            self._idle.append(connection)
            return
        with contextlib.suppress(Exception):
            await connection.close()

    async def _reader(self) -> aiosqlite.Connection | None:
        """The shared reading connection with the fewest reads waiting on it, or None when
        every one is busy enough that the read should take a connection of its own.

        A statement outside a transaction runs and fetches in one step on its connection's
        thread (``_fetch_all``) and, with autocommit, leaves nothing behind, so reads from
        many requests can share a connection, queued on its thread. Measured at 32
        connections on the supplier list: one connection per concurrent query meant opening
        and closing connections (a thread each) under load, as more ran at once than stayed
        idle. Writes keep their own connections: one waiting on another worker's write lock
        would hold up the reads queued behind it. A reader whose oldest read has been
        waiting longer than ``slow_read`` seconds (a portfolio load, say) gets no more; a
        read finding every reader so takes a connection of its own.
        """
        self._readers = [c for c in self._readers if c._running and c._connection is not None]
        # counted before the await, so a burst of first reads opens `readers`, not one each
        if len(self._readers) + self._opening < self.readers:
            self._opening += 1
            try:
                connection = await self._open()
            finally:
                self._opening -= 1
            self._readers.append(connection)
            return connection
        now = time.monotonic()
        usable = [c for c in self._readers
                  if not self._pending.get(id(c)) or now - self._pending[id(c)][0] < self.slow_read]
        if not usable:
            return None
        return min(usable, key=lambda c: len(self._pending.get(id(c), ())))

    async def _read(self, query: str, args: list[Any] | None) -> list:
        connection = await self._reader()
        if connection is None:
            return await self._run_alone(query, args)
        pending = self._pending.setdefault(id(connection), collections.deque())
        pending.append(time.monotonic())
        try:
            return await _fetch_all(connection, query, args)
        except Exception:
            # A shared connection gets no more reads once one failed on it: whatever went
            # wrong (a bad handle, a closed thread) would fail every read sent to it, and the
            # least busy reader is the one that fails fastest. Reads already queued on it
            # finish; the last one closes it.
            if connection in self._readers:
                self._readers.remove(connection)
            raise
        finally:
            pending.popleft()  # its reads finish in the order they were queued
            if not pending:
                self._pending.pop(id(connection), None)
                if connection not in self._readers:
                    with contextlib.suppress(Exception):
                        await connection.close()

    async def _run_alone(self, query: str, args: list[Any] | None, query_type: str = "generic",
                         table: Any = None) -> list:
        """One statement on a connection of its own (writes, and reads every reader is too
        busy for), handed back to the idle list afterwards."""
        connection = await self.acquire()
        healthy = False
        try:
            rows = await self._run_in_existing_connection(connection, query, args,
                                                          query_type, table)
            healthy = True
            return rows
        finally:
            await self.release(connection, healthy=healthy)

    async def close_idle(self) -> None:
        readers, self._readers = self._readers, []
        for connection in readers:
            with contextlib.suppress(Exception):
                await connection.close()
        idle, self._idle = self._idle, []
        for connection in idle:
            with contextlib.suppress(Exception):
                await connection.close()

    async def get_connection(self) -> aiosqlite.Connection:
        return await self.acquire()

    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None,
                                     query_type: str = "generic", table: Any = None):
        if query[:6].upper() == "SELECT":
            return await self._read(query, args)
        return await self._run_alone(query, args, query_type, table)

    async def _run_in_existing_connection(self, connection, query: str,
                                          args: list[Any] | None = None,
                                          query_type: str = "generic", table: Any = None):
        # (Piccolo re-runs PRAGMA foreign_keys before every statement; ours are set once)
        if query_type == "insert" and self.get_version_sync() < 3.35:  # no RETURNING
            async with connection.execute(query, args or []) as cursor:
                assert table is not None
                pk = await self._get_inserted_pk(cursor, table)
                return [{table._meta.primary_key._meta.db_column_name: pk}]
        return await _fetch_all(connection, query, args)

    def transaction(self, transaction_type: TransactionType = TransactionType.deferred,
                    allow_nested: bool = True) -> SQLiteTransaction:
        return _PooledTransaction(engine=self, transaction_type=transaction_type,
                                  allow_nested=allow_nested)
