"""Apply Piccolo migrations for every app, the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from portal.core.db import engine
from portal.core.errors import ServiceUnavailable


async def migrate() -> None:
    db = engine()
    if isinstance(db, SQLiteEngine):
        # WAL lets readers carry on while one writer commits.
        await db.run_querystring(QueryString("PRAGMA journal_mode=WAL"))
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        result = await run_forwards(app_name="all")
    if not result.success:
        raise ServiceUnavailable(f"migrations failed: {result.message or quiet.getvalue()[-500:]}")
