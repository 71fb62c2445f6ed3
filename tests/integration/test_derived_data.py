"""Score and tier are derived data: every entry point that changes an input moves them, in
the same transaction, through one mechanism (portal/core/changes.py), and every read of a
supplier shows them."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from models.tables import AuditEvent, SupplierScore
from portal.core import changes
from portal.core.db import write_transaction
from portal.wiring import wire
from tests import factories
from tests.integration.journeys import admin_client, csrf_of, sign_in


async def stored(supplier_id: int) -> dict:
    return await SupplierScore.select(SupplierScore.score, SupplierScore.rating,
                                      SupplierScore.tier).where(
        SupplierScore.supplier == supplier_id).first()


def test_every_entry_point_loads_the_score_deriver():
    assert "score" in wire()


async def test_a_new_supplier_is_scored_in_its_own_transaction():
    supplier = await factories.supplier()
    row = await stored(supplier["id"])
    assert row is not None and row["tier"] == "elevated"
    assert (supplier["score"], supplier["tier"]) == (row["score"], row["tier"])


async def test_a_failed_transaction_leaves_no_score_behind():
    supplier = await factories.supplier()
    before = await stored(supplier["id"])

    class Boom(Exception):
        pass

    try:
        async with write_transaction():
            await factories.certification(supplier["id"])
            raise Boom
    except Boom:
        pass
    assert await stored(supplier["id"]) == before


async def test_writes_outside_a_supplier_touch_nothing():
    # a deriver is only asked about suppliers a write named
    seen: list[list[int]] = []

    async def spy(ids: list[int]) -> None:
        seen.append(ids)

    changes.register("spy", spy, ignores=("answer.saved",))
    try:
        from portal.core import audit

        async with write_transaction():
            await audit.record("answer.saved", target_type="assessment", target_id=1,
                               supplier_id=7)
        async with write_transaction():
            await audit.record("staff.signed_in", target_type="staff", target_id=1)
        assert seen == []
        async with write_transaction():
            await audit.record("contract.updated", target_type="contract", target_id=1,
                               supplier_id=7)
            await audit.record("risk.logged", target_type="risk", target_id=2, supplier_id=7)
        assert seen == [[7]]  # once per transaction, however many writes touched it
    finally:
        changes._derivers.pop("spy", None)


async def test_api_changes_move_score_tier_and_every_read_shows_them(client, procurement):
    created = await client.post("/api/v1/suppliers", headers=procurement, json={
        "name": "Northgate Transcription", "handles_personal_data": True,
        "handles_patient_data": False, "affects_care": False})
    assert created.status_code == 201, created.text
    supplier = created.json()
    assert supplier["tier"] == "elevated" and supplier["score"] is not None
    sid = supplier["id"]

    patched = await client.patch(f"/api/v1/suppliers/{sid}", headers=procurement,
                                 json={"affects_care": True, "version": supplier["version"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["tier"] == "critical"
    assert (await stored(sid))["tier"] == "critical"
    shown = (await client.get(f"/api/v1/suppliers/{sid}", headers=procurement)).json()
    listed = (await client.get("/api/v1/suppliers", headers=procurement)).json()["items"][0]
    score = (await client.get(f"/api/v1/suppliers/{sid}/score", headers=procurement)).json()
    assert shown["tier"] == listed["tier"] == score["tier"] == "critical"
    assert shown["score"] == listed["score"] == score["score"]
    assert shown["rating"] == listed["rating"] == score["rating"]

    before = (await stored(sid))["score"]
    contract = await client.post("/api/v1/contracts", headers=procurement, json={
        "supplier_id": sid, "title": "Transcription", "data_role": "processor",
        "personal_data": True, "patient_data": True, "products_services": ["Letters"],
        "start_date": str(dt.date.today() - dt.timedelta(days=30)),
        "end_date": str(dt.date.today() + dt.timedelta(days=700))})
    assert contract.status_code == 201, contract.text
    assert (await stored(sid))["score"] != before


async def test_workspace_forms_move_the_score(client):
    supplier = await factories.supplier()
    sid, before = supplier["id"], (await stored(supplier["id"]))["score"]
    await sign_in(client, "reviewer")
    page = await client.get(f"/staff/suppliers/{sid}")
    response = await client.post(f"/staff/suppliers/{sid}/certifications", data={
        "csrf": csrf_of(page), "scheme": "cyber_essentials_plus",
        **{f"issued_on-{part}": str(getattr(dt.date.today() - dt.timedelta(days=10), part))
           for part in ("day", "month", "year")},
        "certificate_number": "CEP-0001"})
    assert response.status_code == 303, response.text
    assert (await stored(sid))["score"] > before


async def test_back_office_edit_moves_the_tier(client):
    supplier = await factories.supplier()
    sid = supplier["id"]
    assert (await stored(sid))["tier"] == "elevated"
    headers = await admin_client(client, "admin")
    response = await client.patch(f"/admin/api/tables/supplier/{sid}/",
                                  json={"affects_care": True, "version": supplier["version"]},
                                  headers=headers)
    assert response.status_code == 200, response.text
    assert (await stored(sid))["tier"] == "critical"
    shown = (await client.get(f"/api/v1/suppliers/{sid}")).json()
    assert shown["tier"] == "critical"


SUPPLIERS_CSV = ("supplier_key,name,handles_personal_data,handles_patient_data,affects_care\n"
                 "FIN-001,Northgate Couriers,yes,no,{care}\n")


async def test_spreadsheet_import_moves_the_tier(client, procurement):
    from portal.suppliers.importer import import_suppliers

    await import_suppliers(SUPPLIERS_CSV.format(care="no"))
    sid = (await client.get("/api/v1/suppliers", headers=procurement)).json()["items"][0]["id"]
    assert (await stored(sid))["tier"] == "elevated"
    report = await import_suppliers(SUPPLIERS_CSV.format(care="yes"))
    assert not report.errors, report.errors
    assert (await stored(sid))["tier"] == "critical"


async def test_dspt_register_import_moves_the_score():
    from portal.certifications.register_import import import_dspt

    supplier = await factories.supplier(ods_code="8JD12")
    sid, before = supplier["id"], (await stored(supplier["id"]))["score"]
    year = dt.date.today().year
    toolkit = f"{str(year - 1)[2:]}/{str(year)[2:]}" if dt.date.today().month > 6 else \
        f"{str(year - 2)[2:]}/{str(year - 1)[2:]}"
    report = await import_dspt(
        "Code,Organisation Name,Status,Date Of Publication\n"
        f"8JD12,Meridian Health Records,{toolkit} Standards Met,{dt.date.today():%d/%m/%Y}\n")
    assert report.matched_suppliers == 1, report.errors
    assert (await stored(sid))["score"] > before


async def test_cli_import_moves_the_tier(tmp_path):
    from portal.suppliers.importer import import_suppliers

    await import_suppliers(SUPPLIERS_CSV.format(care="no"))
    sheet = tmp_path / "suppliers.csv"
    sheet.write_text(SUPPLIERS_CSV.format(care="yes"), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "portal", "import", "suppliers", str(sheet)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    row = await SupplierScore.select(SupplierScore.tier).first()
    assert row["tier"] == "critical"
    assert await AuditEvent.count().where(AuditEvent.action == "supplier.updated") == 1


async def test_a_portfolio_rescoring_keeps_a_score_a_change_wrote_while_it_read_the_facts(monkeypatch):
    """recompute_all reads every supplier's facts outside its write; a change that rescored a
    supplier meanwhile (in its own transaction) must not be overwritten by the older facts."""
    from portal.scoring import service

    supplier = await factories.supplier()
    original = service.load_facts

    async def facts_then_a_change(ids=None):
        facts = await original(ids)
        # meanwhile, a write rescores the supplier in its own transaction: mark its row
        await SupplierScore.update({SupplierScore.score: 1, SupplierScore.rating: "red",
                                    SupplierScore.fingerprint: "written-meanwhile",
                                    SupplierScore.computed_at: dt.datetime.now(dt.UTC)}).where(
            SupplierScore.supplier == supplier["id"])
        return facts

    monkeypatch.setattr(service, "load_facts", facts_then_a_change)
    await service.recompute_all()
    row = await SupplierScore.select(SupplierScore.fingerprint, SupplierScore.score).where(
        SupplierScore.supplier == supplier["id"]).first()
    assert row["fingerprint"] == "written-meanwhile" and row["score"] == 1
    monkeypatch.setattr(service, "load_facts", original)
    await service.recompute_all()  # with nothing written meanwhile, the score is rewritten
    row = await SupplierScore.select(SupplierScore.fingerprint).where(
        SupplierScore.supplier == supplier["id"]).first()
    assert row["fingerprint"] != "written-meanwhile"
