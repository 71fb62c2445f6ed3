"""The audit trail: one append-only table, written inside the change's own transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Mapping
from typing import Any

from models.tables import AuditEvent
from portal.core.context import current_actor, current_request_id

# Never copied into the audit trail, whatever table they sit in.
_SECRET_FIELDS = {"token_hash", "link_hash", "password", "secret"}


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
    await AuditEvent.insert(
        AuditEvent(
            actor=actor.name[:150],
            actor_type=actor.kind,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            supplier_id=supplier_id,
            before=snapshot(before),
            after=snapshot(after),
            request_id=current_request_id(),
        )
    )
