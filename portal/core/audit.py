"""The audit trail: one append-only table, written inside the change's own transaction.

Events form a hash chain: each stores the SHA-256 of its own content and of the previous
event's hash, so `portal audit verify` finds the first event that was altered, removed or
inserted out of turn.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

from models.tables import AuditEvent
from portal.core.context import current_actor, current_request_id
from portal.core.db import engine, write_transaction

# Never copied into the audit trail, whatever table they sit in.
_SECRET_FIELDS = {"token_hash", "link_hash", "password", "secret"}
_CHAIN_LOCK = 7_470_001  # PostgreSQL advisory lock id: one writer extends the chain at a time


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
    event = {
        "occurred_at": dt.datetime.now(dt.UTC),
        "actor": actor.name[:150], "actor_type": actor.kind, "action": action,
        "target_type": target_type, "target_id": str(target_id), "supplier_id": supplier_id,
        "before": snapshot(before), "after": snapshot(after), "request_id": current_request_id(),
    }
    async with write_transaction():
        db = engine()
        if isinstance(db, PostgresEngine):
            await db.run_querystring(QueryString("SELECT pg_advisory_xact_lock({})", _CHAIN_LOCK))
        last = await AuditEvent.select(AuditEvent.hash).order_by(
            AuditEvent.id, ascending=False).first()
        prev_hash = last["hash"] if last else ""
        await AuditEvent.insert(AuditEvent(**event, prev_hash=prev_hash,
                                           hash=chain_hash(prev_hash, event)))


@dataclass
class Verification:
    checked: int
    broken_at: int | None
    problem: str | None


async def verify(batch: int = 2000) -> Verification:
    """Walk the chain in order; report the first event whose hash or link does not hold."""
    prev_hash = ""
    checked = 0
    last_id = 0
    while True:
        rows = await AuditEvent.select().where(AuditEvent.id > last_id).order_by(
            AuditEvent.id).limit(batch)
        if not rows:
            return Verification(checked, None, None)
        for row in rows:
            event = {**row, "before": row["before"] if isinstance(row["before"], str) else json.dumps(row["before"]),
                     "after": row["after"] if isinstance(row["after"], str) else json.dumps(row["after"])}
            if row["prev_hash"] != prev_hash:
                return Verification(checked, row["id"], "its link to the previous event is broken "
                                                        "(an event before it was removed or changed)")
            if chain_hash(prev_hash, event) != row["hash"]:
                return Verification(checked, row["id"], "its content no longer matches its hash "
                                                        "(the event was changed)")
            prev_hash = row["hash"]
            checked += 1
            last_id = row["id"]
