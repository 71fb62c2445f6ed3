"""The audit trail is a hash chain: tampering is found, and named."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from models.tables import AuditEvent
from portal.core.audit import seal, verify
from tests.integration.conftest import SUPPLIER


async def test_chain_holds_and_tampering_is_found(client, procurement):
    for name in ("A", "B", "C"):
        await client.post("/api/v1/suppliers", json={**SUPPLIER, "name": name}, headers=procurement)
    result = await verify()
    assert result.broken_at is None and result.checked >= 4
    events = await AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id)
    middle = events[len(events) // 2]["id"]
    await AuditEvent.update({AuditEvent.actor: "someone else"}).where(AuditEvent.id == middle)
    tampered = await verify()
    assert tampered.broken_at == middle and "changed" in tampered.problem


async def test_a_removed_event_breaks_the_next_link(client, procurement):
    for name in ("A", "B"):
        await client.post("/api/v1/suppliers", json={**SUPPLIER, "name": name}, headers=procurement)
    await seal()  # as the running portal does within a second
    events = await AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id)
    await AuditEvent.delete().where(AuditEvent.id == events[1]["id"])
    result = await verify()
    assert result.broken_at == events[2]["id"] and "removed" in result.problem


async def test_cli_reports_the_chain():
    import asyncio

    from portal.cli import cli
    from portal.suppliers.schemas import SupplierCreate
    from portal.suppliers.service import create_supplier

    await create_supplier(SupplierCreate.model_validate(SUPPLIER))
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output


async def test_events_are_chained_in_the_order_their_transactions_finish(client, procurement):
    """While an older transaction is still running, later events wait to be sealed, so the
    older one's event can't be skipped or linked out of turn."""
    from piccolo.engine.postgres import PostgresEngine

    from portal.core import audit
    from portal.core.db import engine, write_transaction

    if not isinstance(engine(), PostgresEngine):
        pytest.skip("SQLite seals each event as it is written (writers queue)")
    import asyncio

    slow_started, finish_slow = asyncio.Event(), asyncio.Event()

    async def slow_change() -> None:
        async with write_transaction():
            await audit.record("test.slow", target_type="test", target_id=1)
            slow_started.set()
            await finish_slow.wait()

    slow = asyncio.create_task(slow_change())
    try:
        await slow_started.wait()
        await client.post("/api/v1/suppliers", json={**SUPPLIER, "name": "Quick"},
                          headers=procurement)
        await seal()
        pending = await AuditEvent.select(AuditEvent.action).where(AuditEvent.seq.is_null())
    finally:
        finish_slow.set()
        await slow
    assert [p["action"] for p in pending] == ["supplier.created"]  # committed, but waits
    result = await verify()
    assert result.broken_at is None and result.pending == 0
    chain = await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.seq)
    assert [c["action"] for c in chain][-2:] == ["test.slow", "supplier.created"]
