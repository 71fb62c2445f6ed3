"""Multi-row writes (portal.core.db.insert_many) behave as Piccolo's own insert would: the
table's defaults fill what a row leaves out, a conflict updates only the columns named, and
a batch bigger than one statement's bound-value limit is written whole."""

from __future__ import annotations

import datetime as dt

import pytest

from models.tables import Certification, DsptRegisterEntry
from portal.core.db import insert_many, write_transaction
from tests import factories


async def test_defaults_fill_what_a_row_leaves_out():
    supplier = await factories.supplier()
    async with write_transaction():
        await insert_many(Certification, [{"supplier": supplier["id"], "scheme": "iso27001"}])
    row = await Certification.select().where(Certification.supplier == supplier["id"]).first()
    assert row["verification"] == "self_declared" and row["version"] == 1
    assert row["status"] == "" and row["expires_on"] is None and row["archived_at"] is None
    assert row["created_at"] is not None and row["created_at"].tzinfo is not None


async def test_a_conflict_updates_only_the_named_columns():
    code = "ZZBULK1"
    async with write_transaction():
        await insert_many(DsptRegisterEntry, [{"ods_code": code, "organisation_name": "First",
                                               "status": "23/24 Standards Met", "icb": "North"}])
        await insert_many(DsptRegisterEntry, [{"ods_code": code, "organisation_name": "Second",
                                               "status": "24/25 Standards Met", "icb": "South"}],
                          conflict=DsptRegisterEntry.ods_code,
                          update=[DsptRegisterEntry.organisation_name, DsptRegisterEntry.status])
    rows = await DsptRegisterEntry.select().where(DsptRegisterEntry.ods_code == code)
    assert len(rows) == 1
    assert (rows[0]["organisation_name"], rows[0]["status"], rows[0]["icb"]) == (
        "Second", "24/25 Standards Met", "North")


async def test_more_rows_than_one_statement_takes_are_all_written():
    supplier = await factories.supplier()
    issued = dt.date(2026, 1, 5)
    rows = [{"supplier": supplier["id"], "scheme": "cyber_essentials", "issued_on": issued,
             "certificate_number": f"BULK-{i}"} for i in range(2500)]  # > 1,100 a statement
    async with write_transaction():
        assert await insert_many(Certification, rows) == 2500
    stored = await Certification.select(Certification.certificate_number, Certification.issued_on
                                        ).where(Certification.supplier == supplier["id"])
    assert sorted(r["certificate_number"] for r in stored) == sorted(f"BULK-{i}" for i in range(2500))
    assert {r["issued_on"] for r in stored} == {issued}


async def test_a_column_the_table_lacks_is_refused_before_anything_is_written():
    with pytest.raises(ValueError, match="no column colour"):
        await insert_many(DsptRegisterEntry, [{"ods_code": "ZZBULK2", "colour": "red"}])
    assert not await DsptRegisterEntry.exists().where(DsptRegisterEntry.ods_code == "ZZBULK2")
