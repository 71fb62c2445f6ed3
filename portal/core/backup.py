"""Backup and restore: the database and the evidence files together, in one archive.

The archive is engine-neutral (JSON lines per table, ids kept), so a SQLite backup restores
into PostgreSQL and back. Restore needs an empty, migrated database and refuses otherwise.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import re
import tarfile
from pathlib import Path
from typing import Any

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import JSON, Date, Numeric, Timestamp, Timestamptz
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString
from piccolo.table import Table

from models.tables import ALL_TABLES, AuditEvent, EvidenceFile, FailedAttempt
from portal import __version__
from portal.core import audit
from portal.core.db import engine, write_transaction
from portal.core.errors import Conflict, InvalidInput
from portal.core.storage import evidence_store

# Failed attempts are a few minutes' rate-limit counts, not records worth restoring.
TABLES: list[type[Table]] = [BaseUser, *(t for t in ALL_TABLES if t is not FailedAttempt)]
_FILE = re.compile(r"files/evidence/[0-9a-f]{2}/[0-9a-f]{64}")
FORMAT = 1
BATCH = 500


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _decoder(table: type[Table]):
    kinds = {}
    for column in table._meta.columns:
        if isinstance(column, Timestamptz | Timestamp):
            kinds[column._meta.name] = "datetime"
        elif isinstance(column, Date):
            kinds[column._meta.name] = "date"
        elif isinstance(column, Numeric):
            kinds[column._meta.name] = "decimal"
        elif isinstance(column, JSON):
            kinds[column._meta.name] = "json"

    def decode(row: dict[str, Any]) -> dict[str, Any]:
        out = dict(row)
        for name, kind in kinds.items():
            value = out.get(name)
            if value is None:
                continue
            if kind == "datetime":
                out[name] = dt.datetime.fromisoformat(value)
            elif kind == "date":
                out[name] = dt.date.fromisoformat(value)
            elif kind == "decimal":
                out[name] = decimal.Decimal(value)
            elif kind == "json" and not isinstance(value, str):
                out[name] = json.dumps(value)
        return out

    return decode


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


async def backup(path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    await audit.seal()  # the archive carries the chain as far as it can be sealed
    with tarfile.open(path, "w:gz") as archive:
        for table in TABLES:
            rows = await table.select().order_by(table._meta.primary_key)
            counts[table._meta.tablename] = len(rows)
            lines = "\n".join(json.dumps({k: _encode(v) for k, v in row.items()}) for row in rows)
            _add(archive, f"tables/{table._meta.tablename}.jsonl", lines.encode())
        store = evidence_store()
        keys = sorted({r["storage_key"] for r in await EvidenceFile.select(EvidenceFile.storage_key)})
        for key in keys:
            _add(archive, f"files/{key}", await store.get(key))
        counts["files"] = len(keys)
        _add(archive, "manifest.json", json.dumps({
            "format": FORMAT, "portal_version": __version__,
            "created_at": dt.datetime.now(dt.UTC).isoformat(), "counts": counts}).encode())
    return counts


async def restore(path: Path) -> dict[str, int]:
    try:
        archive = tarfile.open(path, "r:gz")
    except (tarfile.TarError, OSError) as error:
        raise InvalidInput(f"{path} is not a portal backup ({error}).") from None
    with archive:
        try:
            manifest = json.loads(archive.extractfile("manifest.json").read())
        except (KeyError, AttributeError, ValueError):
            raise InvalidInput(f"{path} has no manifest; it is not a portal backup.") from None
        if manifest.get("format") != FORMAT:
            raise InvalidInput("This backup was made by an incompatible version of the portal.")
        for table in TABLES:
            if await table.count():
                raise Conflict(f"Restore needs an empty database, but {table._meta.tablename} "
                               "has rows. Restore into a freshly migrated database.")
        counts: dict[str, int] = {}
        async with write_transaction():
            for table in TABLES:
                member = archive.extractfile(f"tables/{table._meta.tablename}.jsonl")
                text = member.read().decode() if member else ""
                decode = _decoder(table)
                rows = [decode(json.loads(line)) for line in text.splitlines() if line.strip()]
                if table is AuditEvent:
                    for row in rows:  # another server's transaction ids mean nothing here
                        row["txid"] = None
                for start in range(0, len(rows), BATCH):
                    await table.insert(*[table(**row) for row in rows[start:start + BATCH]])
                counts[table._meta.tablename] = len(rows)
            db = engine()
            if isinstance(db, PostgresEngine):
                for table in TABLES:
                    name = table._meta.tablename
                    # Our own table names, never input.
                    sql = (f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "  # noqa: S608
                           f"COALESCE((SELECT MAX(id) FROM \"{name}\"), 0) + 1, false)")
                    await db.run_querystring(QueryString(sql))
        store = evidence_store()
        files = 0
        for member in archive.getmembers():
            # Only content-hash keys: a crafted archive can't write anywhere else.
            if member.isfile() and _FILE.fullmatch(member.name):
                key = member.name.removeprefix("files/")
                await store.put(key, archive.extractfile(member).read(), "application/octet-stream")
                files += 1
        counts["files"] = files
    return counts
