"""The audit trail is a hash chain: tampering is found, and named."""

from __future__ import annotations

from click.testing import CliRunner

from models.tables import AuditEvent
from portal.core.audit import verify
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
