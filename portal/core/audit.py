"""The audit trail: one append-only table, written inside the change's own transaction.

Events form a hash chain: each sealed event stores its place (`seq`), the SHA-256 of its own
content and of the previous event's hash, so `portal audit verify` finds the first event that
was altered, removed or inserted out of turn.

On PostgreSQL a change only inserts its event; a sealer (every second in each worker, and
before `audit verify` and `backup`) links committed events into the chain in one short
transaction. Chaining inside every change would make all writers queue on one lock until
commit: that alone cost a third of the answer-save throughput. An event waits to be sealed
until every transaction older than its own has finished, so none can be left out of turn.
On SQLite writers already queue (BEGIN IMMEDIATE), so each event is sealed as it is written.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

from models.tables import ALL_TABLES, AuditEvent
from portal.core import changes, dates
from portal.core.context import current_actor, current_request_id
from portal.core.db import engine, write_transaction

log = structlog.get_logger("portal.audit")

# Never copied into the audit trail, whatever table they sit in.
_SECRET_FIELDS = {"token_hash", "link_hash", "password", "secret"} | {
    column._meta.name for table in ALL_TABLES for column in table._meta.columns
    if column._meta.secret}  # every column the models mark secret (link nonce, TOTP secrets)
_CHAIN_LOCK = 7_470_001  # PostgreSQL advisory lock id: one sealer extends the chain at a time


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return str(value)


def snapshot(values: Mapping[str, Any] | None) -> str:
    """A JSON text of a record's fields, with secrets left out."""
    if values is None:
        return "null"
    clean = {k: v for k, v in values.items() if k not in _SECRET_FIELDS}
    return json.dumps(clean, default=_json_default, sort_keys=True)


def _moment(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def chain_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    canonical = json.dumps({
        "prev": prev_hash, "at": _moment(event["occurred_at"]), "actor": event["actor"],
        "actor_type": event["actor_type"], "action": event["action"],
        "target_type": event["target_type"], "target_id": event["target_id"],
        "supplier_id": event["supplier_id"], "before": event["before"], "after": event["after"],
        "request_id": event["request_id"]}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


_COLUMNS = ("occurred_at", "actor", "actor_type", "action", "target_type", "target_id",
            "supplier_id", "before", "after", "request_id")
_INSERT_PENDING = (
    f"INSERT INTO audit_event ({', '.join(_COLUMNS)}, prev_hash, hash, txid) "  # noqa: S608
    f"VALUES ({', '.join('{}' for _ in _COLUMNS)}, '', '', pg_current_xact_id()::text::bigint)")
# compiled once: parsing the template again for every event cost more than the insert's own
# Python work (the values still travel as parameters)
_INSERT_PENDING_SQL = QueryString(_INSERT_PENDING, *_COLUMNS).compile_string("postgres")[0]
_SEAL_BATCH = 1000


async def record(
    action: str,
    *,
    target_type: str,
    target_id: Any,
    supplier_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    actor = current_actor()
    # an event about a supplier is that supplier's, stored so (its history, and the
    # dashboard reading again only the suppliers new events name, go by this column)
    if supplier_id is None and target_type == "supplier" and str(target_id).isdigit():
        supplier_id = int(target_id)
    event = {
        "occurred_at": dates.now(),
        "actor": actor.name[:150], "actor_type": actor.kind, "action": action,
        "target_type": target_type, "target_id": str(target_id), "supplier_id": supplier_id,
        "before": snapshot(before), "after": snapshot(after), "request_id": current_request_id(),
    }
    async with write_transaction():
        changes.touch(supplier_id, action=action)
        db = engine()
        if isinstance(db, PostgresEngine):
            values = [event[c] for c in _COLUMNS]
            insert = QueryString(_INSERT_PENDING, *values)
            insert._frozen_compiled_strings = (_INSERT_PENDING_SQL, values)
            await db.run_querystring(insert)
            return
        last = await _chain_end()
        seq = last["seq"] + 1 if last else 1
        prev_hash = last["hash"] if last else ""
        await AuditEvent.insert(AuditEvent(**event, seq=seq, prev_hash=prev_hash,
                                           hash=chain_hash(prev_hash, event)))


async def _chain_end() -> dict[str, Any] | None:
    return await AuditEvent.select(AuditEvent.seq, AuditEvent.hash).where(
        AuditEvent.seq.is_not_null()).order_by(AuditEvent.seq, ascending=False).first()


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _event_of(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "before": _as_text(row["before"]), "after": _as_text(row["after"])}


async def seal() -> int:
    """Link committed, unsealed events into the chain; returns how many were sealed.

    One sealer at a time (an advisory lock; others return 0 at once). Events whose
    transaction may still be running wait for the next call.
    """
    db = engine()
    if not isinstance(db, PostgresEngine):
        return 0  # sealed as written
    sealed = 0
    while True:
        async with db.transaction():
            got = await db.run_querystring(QueryString(
                "SELECT pg_try_advisory_xact_lock({}) AS got", _CHAIN_LOCK))
            if not got[0]["got"]:
                return sealed
            last = await _chain_end()
            seq = last["seq"] if last else 0
            prev_hash = last["hash"] if last else ""
            rows = await db.run_querystring(QueryString(
                "SELECT * FROM audit_event WHERE seq IS NULL AND (txid IS NULL OR "
                "txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint) "
                "ORDER BY id LIMIT {}", _SEAL_BATCH))
            if not rows:
                return sealed
            values = []
            for row in rows:
                seq += 1
                digest = chain_hash(prev_hash, _event_of(row))
                values.extend([row["id"], seq, prev_hash, digest])
                prev_hash = digest
            # Only the {} slots are joined into the text; the values travel as parameters.
            template = ", ".join("({}::bigint, {}::bigint, {}, {})" for _ in rows)
            update = (f"UPDATE audit_event AS a SET seq = v.seq, prev_hash = v.prev_hash, "  # noqa: S608
                      f"hash = v.hash FROM (VALUES {template}) AS v(id, seq, prev_hash, hash) "
                      "WHERE a.id = v.id")
            await db.run_querystring(QueryString(update, *values))
            sealed += len(rows)
        if len(rows) < _SEAL_BATCH:
            return sealed


async def keep_sealing(stop: asyncio.Event, interval: float = 1.0) -> None:
    """The background sealer of one worker, until `stop` is set. It is stopped between seals,
    never cancelled inside one: a cancelled transaction can keep its pooled connection and
    leave shutdown waiting for it. A database outage only delays sealing."""
    failing = False
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
            return
        except TimeoutError:
            pass
        try:
            await seal()
            failing = False
        except Exception as error:  # the database may be restarting; try again next time
            if not failing:
                log.warning("audit.seal_failed", error=type(error).__name__)
            failing = True


@dataclass
class Verification:
    checked: int
    broken_at: int | None
    problem: str | None
    pending: int = 0  # written by transactions still running: sealed once they finish


async def verify(batch: int = 2000) -> Verification:
    """Seal what is waiting, then walk the chain in order; report the first event whose
    hash or link does not hold."""
    await seal()
    prev_hash = ""
    checked = 0
    last_seq = 0
    while True:
        rows = await AuditEvent.select().where(AuditEvent.seq > last_seq).order_by(
            AuditEvent.seq).limit(batch)
        if not rows:
            pending = await AuditEvent.count().where(AuditEvent.seq.is_null())
            return Verification(checked, None, None, pending)
        for row in rows:
            if row["prev_hash"] != prev_hash or row["seq"] != last_seq + 1:
                return Verification(checked, row["id"], "its link to the previous event is broken "
                                                        "(an event before it was removed or changed)")
            if chain_hash(prev_hash, _event_of(row)) != row["hash"]:
                return Verification(checked, row["id"], "its content no longer matches its hash "
                                                        "(the event was changed)")
            prev_hash = row["hash"]
            checked += 1
            last_seq = row["seq"]
