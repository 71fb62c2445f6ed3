"""Shared mechanics for the register's records: fetch, versioned update, archive.

Every change goes through here so each one is checked against the version the editor
saw (a second editor gets 409, never a silent overwrite) and audited in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from piccolo.table import Table

from portal.core import audit
from portal.core.db import write_transaction
from portal.core.errors import Conflict, NotFound
from portal.core.security import now


def column_names(table: type[Table]) -> set[str]:
    return {column._meta.name for column in table._meta.columns}


def _label(table: type[Table]) -> str:
    return table._meta.tablename


async def get_row(table: type[Table], row_id: int, *, what: str, include_archived: bool = True,
                  where: Any = None) -> dict[str, Any]:
    query = table.select().where(table._meta.primary_key == row_id)
    if where is not None:
        query = query.where(where)
    if not include_archived and "archived_at" in column_names(table):
        query = query.where(table._meta.get_column_by_name("archived_at").is_null())
    row = await query.first()
    if row is None:
        raise NotFound(f"No {what} with id {row_id}.")
    return row


async def create_row(table: type[Table], values: Mapping[str, Any], *, action: str,
                     supplier_id: int | None = None) -> dict[str, Any]:
    if "created_at" in column_names(table) and "created_at" not in values:
        values = {**values, "created_at": now()}  # the one clock, as the audit event's
    async with write_transaction():
        row = table(**values)
        await row.save()
        created = await get_row(table, row.id, what=_label(table))
        await audit.record(action, target_type=_label(table), target_id=row.id,
                           supplier_id=supplier_id if supplier_id is not None else created.get("supplier"),
                           after=created)
    return created


async def update_row(table: type[Table], row_id: int, changes: Mapping[str, Any], *, what: str,
                     action: str, expected_version: int | None = None,
                     supplier_id: int | None = None, related_changed: bool = False
                     ) -> dict[str, Any]:
    """Apply the changes that differ, bumping `version`; `related_changed` bumps it even when
    only rows hanging off this record changed (a contract's products), so that a second
    editor still holding the old version is refused."""
    async with write_transaction():
        before = await get_row(table, row_id, what=what)
        if expected_version is not None and expected_version != before["version"]:
            raise Conflict(
                f"This {what} was changed by someone else (you edited version {expected_version}, "
                f"it is now version {before['version']}). Reload it and apply your change again.",
                extra={"current_version": before["version"]},
            )
        real_changes = {k: v for k, v in changes.items() if before.get(k) != v}
        if not real_changes and not related_changed:
            return before
        columns = table._meta.get_column_by_name
        values: dict[Any, Any] = {columns(k): v for k, v in real_changes.items()}
        values[columns("version")] = before["version"] + 1
        if "updated_at" in column_names(table):
            values[columns("updated_at")] = now()
        updated = await table.update(values).where(
            (table._meta.primary_key == row_id) & (columns("version") == before["version"])
        ).returning(table._meta.primary_key)
        if not updated:  # lost a race with another writer between our read and write
            raise Conflict(f"This {what} was changed by someone else; reload it and try again.")
        after = await get_row(table, row_id, what=what)
        if real_changes:  # related rows audit their own change
            await audit.record(action, target_type=_label(table), target_id=row_id,
                               supplier_id=supplier_id if supplier_id is not None
                               else after.get("supplier"),
                               before={k: before[k] for k in real_changes},
                               after={k: after[k] for k in real_changes})
    return after


async def archive_row(table: type[Table], row_id: int, *, what: str, action: str,
                      supplier_id: int | None = None) -> dict[str, Any]:
    """Archive instead of delete; archiving twice is harmless."""
    async with write_transaction():
        before = await get_row(table, row_id, what=what)
        if before.get("archived_at") is not None:
            return before
        columns = table._meta.get_column_by_name
        values: dict[Any, Any] = {columns("archived_at"): now(),
                                  columns("version"): before["version"] + 1}
        if "updated_at" in column_names(table):
            values[columns("updated_at")] = now()
        await table.update(values).where(table._meta.primary_key == row_id)
        after = await get_row(table, row_id, what=what)
        await audit.record(action, target_type=_label(table), target_id=row_id,
                           supplier_id=supplier_id if supplier_id is not None else after.get("supplier"),
                           before={"archived_at": None}, after={"archived_at": after["archived_at"]})
    return after
