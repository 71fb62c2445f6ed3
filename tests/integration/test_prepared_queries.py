"""Prepared queries (portal/core/db.py): SQL built once, run with fresh values, the same rows
as Piccolo's own query, inside the caller's transaction and counted like any statement."""

from __future__ import annotations

import pytest

from models.tables import Supplier
from portal.core.db import Prepared, Slot, write_transaction
from tests import factories
from tests.querycount import queries

BY_NAME = Prepared(Supplier, lambda _: Supplier.select().where(
    Supplier.name == Slot("name")).order_by(Supplier.id))
RENAME = Prepared(Supplier, lambda _: Supplier.update({Supplier.name: Slot("new")}).where(
    Supplier.id == Slot("id")).returning(Supplier.id))


async def test_a_prepared_select_gives_what_piccolo_gives_for_each_value():
    first = await factories.supplier(name="Alpha Ltd")
    await factories.supplier(name="Beta Ltd")
    for name in ("Alpha Ltd", "Beta Ltd", "Nobody Ltd"):
        assert await BY_NAME.rows(name=name) == await Supplier.select().where(
            Supplier.name == name).order_by(Supplier.id)
    assert (await BY_NAME.first(name="Alpha Ltd"))["id"] == first["id"]
    assert await BY_NAME.first(name="Nobody Ltd") is None


async def test_a_prepared_write_runs_in_the_callers_transaction_and_is_counted():
    supplier = await factories.supplier(name="Alpha Ltd")
    with queries() as recorded:
        with pytest.raises(RuntimeError):
            async with write_transaction():
                assert await RENAME.rows(new="Renamed Ltd", id=supplier["id"]) == [
                    {"id": supplier["id"]}]
                raise RuntimeError("roll it back")
    assert recorded.count == 1 and 'UPDATE "supplier"' in recorded.statements[0]
    assert (await Supplier.select(Supplier.name).where(Supplier.id == supplier["id"]).first()
            )["name"] == "Alpha Ltd"
    await RENAME.rows(new="Renamed Ltd", id=supplier["id"])
    assert (await BY_NAME.first(name="Renamed Ltd"))["id"] == supplier["id"]


async def test_a_slot_piccolo_would_convert_is_refused_when_built():
    # Piccolo serialises a dict for a JSON column: the slot inside would be sent as text
    from models.tables import Answer

    broken = Prepared(Answer, lambda _: Answer.update({Answer.value: {"v": Slot("v")}}).where(
        Answer.id == Slot("id")))
    with pytest.raises(TypeError, match="converted a slot"):
        await broken.rows(v="x", id=1)
