"""The database engine and transactions, the same way for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw
from piccolo.columns.defaults.base import Default
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString
from piccolo.table import Table

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
    # What Piccolo's engine_finder finds (PICCOLO_CONF's DB), read from the imported module:
    # engine_finder imports and searches it on every call, three times per answer save.
    module = sys.modules.get(os.environ.get("PICCOLO_CONF", ""))
    found = getattr(module, "DB", None)
    if isinstance(found, Engine):
        return found
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


async def _keep_session(connection) -> None:
    """Nothing to undo when a connection goes back to the pool: the portal keeps no session
    state (its advisory locks are transaction-scoped, it never LISTENs or SETs), and asyncpg
    still rolls back a transaction left open. asyncpg's default reset (advisory unlock, CLOSE
    ALL, UNLISTEN, RESET ALL) is one more round trip per query outside a transaction: of 9
    round trips for a supplier-list page, 4 were resets (profiled on PostgreSQL)."""


async def start_pool(settings: Settings) -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(max_size=settings.db_pool_size, reset=_keep_session)


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


def id_in(column: Column, chunk: Sequence[int]) -> WhereRaw:
    """`column IN (ids)` with the ids written as integers: Piccolo's is_in converts and binds
    each value, which cost ~10 us an id a query (a tenth of a supplier's rescoring, profiled
    on a 2,000-supplier import). int() makes the text safe."""
    if not chunk:
        return WhereRaw("1 = 0")  # "IN ()" is not SQL on PostgreSQL
    table = column._meta.table._meta.tablename
    return WhereRaw(f'"{table}"."{column._meta.db_column_name}" IN ('
                    + ",".join(str(int(i)) for i in chunk) + ")")


async def insert_many(table: type[Table], rows: Sequence[Mapping[str, Any]], *,
                      conflict: Column | None = None, update: Sequence[Column] = (),
                      update_if_before: tuple[Column, Any] | None = None) -> int:
    """Insert plain rows in multi-row statements (`ON CONFLICT (conflict) DO UPDATE SET
    update`), a column a row leaves out taking the table's own default as Piccolo would.

    Piccolo's insert builds a Table object and a query string per row: about 0.4 ms a row
    of CPU, most of a 2,000-row DSPT import's writes (profiled). Here a batch is one
    statement, under both engines' limit on bound values."""
    if not rows:
        return 0
    columns = list(table._meta.non_default_columns)  # every column but the primary key
    known = {c._meta.name for c in columns}
    unknown = {name for row in rows for name in row} - known
    if unknown:
        raise ValueError(f"{table._meta.tablename} has no column {', '.join(sorted(unknown))}")
    names = ", ".join(f'"{c._meta.db_column_name}"' for c in columns)
    tail = ""
    if conflict is not None:
        sets = ", ".join(f'"{c._meta.db_column_name}" = EXCLUDED."{c._meta.db_column_name}"'
                         for c in update)
        tail = f' ON CONFLICT ("{conflict._meta.db_column_name}") ' + (
            f"DO UPDATE SET {sets}" if sets else "DO NOTHING")
        if sets and update_if_before is not None:  # only rows last written before that value
            column = update_if_before[0]._meta.db_column_name
            tail += f' WHERE "{table._meta.tablename}"."{column}" < {{guard}}'
    guard = [update_if_before[1]] if conflict is not None and update and update_if_before else []
    db = table._meta.db
    numbered = db.engine_type in ("postgres", "cockroach")  # $1, $2 ... rather than ?
    batch = max(1, min(1000, 30000 // len(columns)))
    defaults = {c._meta.name: _default(c) for c in columns}  # once: "now" is the same for all
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        values = []
        for row in chunk:
            values.extend(row.get(name, defaults[name]) for name in defaults)
        # The statement is written here with the engine's own placeholders and handed over
        # compiled: Piccolo's QueryString walks every value of a 1,000-row batch twice
        # (isinstance checks, then bundling), 0.8 s of a 10,000-score rescoring (profiled).
        if numbered:
            marks = iter(range(1, len(values) + 2))
            rows_sql = ", ".join("(" + ", ".join(f"${next(marks)}" for _ in columns) + ")"
                                 for _ in chunk)
            guard_mark = f"${len(values) + 1}"
        else:
            rows_sql = ", ".join(["(" + ", ".join("?" for _ in columns) + ")"] * len(chunk))
            guard_mark = "?"
        sql = (f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES {rows_sql}'  # noqa: S608
               + tail.replace("{guard}", guard_mark))
        querystring = QueryString(sql)  # shown as run (the names hold no braces)
        querystring._frozen_compiled_strings = (sql, [*values, *guard])
        await db.run_querystring(querystring)
    return len(rows)


def _default(column: Column) -> Any:
    """A column's default value for a new row, as Table() would fill it in."""
    value = column.get_default_value()
    if isinstance(value, Default):
        return value.python()
    return value() if callable(value) else value
# Prepared queries ------------------------------------------------------------------------


class Slot(str):
    """A value a prepared query is given each time it runs (see `Prepared`). A string, so
    Piccolo passes it through as it does a string value (a JSON column leaves text as it
    is); its text marks it, so a slot Piccolo converted into something else is found."""

    name: str

    def __new__(cls, name: str) -> Slot:
        slot = super().__new__(cls, f"@@slot:{name}@@")
        slot.name = name
        return slot


class Prepared:
    """A Piccolo query whose SQL is built once per engine type, then run with fresh values.

    Piccolo builds a query's SQL anew every time it runs (walking every column, join and
    condition); on an answer save that cost more CPU than the database did. `build` gets
    the engine type and returns the query with `Slot`s where the values go; each run fills
    them in and hands the SQL, parameters kept apart, to the engine as any query is (so the
    current transaction and the query counter see it). Only for plain selects, updates and
    inserts whose shape never changes with the values."""

    def __init__(self, table: type[Table], build: Callable[[str], Any]) -> None:
        self._table = table  # run on its engine, as Piccolo runs the table's queries
        self._build = build
        self._compiled: dict[str, tuple[str, str, list[Any]]] = {}

    def _compile(self, engine_type: str) -> tuple[str, str, list[Any]]:
        query = self._build(engine_type)
        (querystring,) = query.querystrings
        _, fragments, args = querystring.bundle(start_index=1, bundled=[], combined_args=[])
        sql, _ = querystring.compile_string(engine_type=engine_type)
        for arg in args:
            if not isinstance(arg, Slot) and "@@slot:" in str(arg):
                raise TypeError(f"Piccolo converted a slot into {arg!r}: pass that value as "
                                "the column stores it")
        # the template again, for printing (the query counter shows it)
        shown = "".join(f.prefix.replace("{", "{{").replace("}", "}}")
                        + ("" if f.no_arg else "{}") for f in fragments)
        compiled = (sql, shown, list(args))
        self._compiled[engine_type] = compiled
        return compiled

    async def rows(self, **values: Any) -> list[dict[str, Any]]:
        db = self._table._meta.db
        sql, shown, args = self._compiled.get(db.engine_type) or self._compile(db.engine_type)
        filled = [values[a.name] if isinstance(a, Slot) else a for a in args]
        querystring = QueryString(shown, *filled)
        querystring._frozen_compiled_strings = (sql, filled)
        return db.transform_response_to_dicts(await db.run_querystring(querystring))

    async def first(self, **values: Any) -> dict[str, Any] | None:
        found = await self.rows(**values)
        return found[0] if found else None
