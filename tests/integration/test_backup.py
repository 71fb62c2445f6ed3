"""Backup and restore round trip: every record, the evidence files and the audit chain."""

from __future__ import annotations

import shutil

import pytest

from models.tables import ALL_TABLES, EvidenceFile
from portal.core.audit import verify
from portal.core.backup import TABLES, backup, restore
from portal.core.errors import Conflict, InvalidInput
from portal.core.storage import evidence_store
from portal.settings import get_settings
from tests.integration.conftest import truncate_all
from tests.integration.journeys import PDF, onboard, send, upload


async def test_round_trip_keeps_records_files_and_the_audit_chain(client, procurement, tmp_path):
    from portal.core import staff
    from portal.staff.auth import check_password

    await staff.create_user(username="iglead", password="restored password ok", role="reviewer")
    supplier, contact = await onboard(client, procurement)
    _, token = await send(client, procurement, supplier, contact)
    evidence = (await upload(client, token, "cyber_essentials_certificate")).json()
    counts_before = {t._meta.tablename: await t.count() for t in TABLES}
    archive = tmp_path / "portal-backup.tar.gz"
    written = await backup(archive)
    assert written["files"] == 1 and written["supplier"] == 1

    with pytest.raises(Conflict):
        await restore(archive)  # refuses a database that has data

    await truncate_all()
    shutil.rmtree(get_settings().evidence_path, ignore_errors=True)
    restored = await restore(archive)
    assert restored["files"] == 1
    assert {t._meta.tablename: await t.count() for t in TABLES} == counts_before
    row = await EvidenceFile.select().where(EvidenceFile.id == evidence["id"]).first()
    assert await evidence_store().get(row["storage_key"]) == PDF
    assert (await verify()).broken_at is None
    assert await check_password("iglead", "restored password ok") is not None
    # The link still works and new records continue the id sequences.
    assert (await client.get(f"/api/v1/respond/{token}")).status_code == 200
    more = await client.post(f"/api/v1/suppliers/{supplier['id']}/contacts", headers=procurement,
                             json={"name": "New Person", "email": "new@example.com"})
    assert more.status_code == 201 and more.json()["id"] > contact["id"]


async def test_restore_refuses_what_is_not_a_backup(tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not an archive")
    with pytest.raises(InvalidInput):
        await restore(bogus)
    assert len(ALL_TABLES) > 10
