"""The dashboard's readiness after a change is the pack's own evaluation of today's records:
read again for the suppliers the change touched, kept for the rest, and never different
from evaluating everything afresh."""

from __future__ import annotations

import datetime as dt

from portal.contracts import service as contracts
from portal.reports import evidence, frameworks, snapshot
from portal.staff import dashboard
from portal.suppliers import service as suppliers
from portal.suppliers.schemas import ContractPatch, SubProcessorCreate, SupplierPatch
from tests import factories


def _shown(readiness) -> list:
    caf = readiness.caf
    return [readiness.headline, [(line.ref, line.answer, line.figure, line.ok, line.why)
                                 for line in readiness.lines],
            (caf.level, caf.reasons, [(r.value, r.basis, r.records) for r in caf.results])
            if caf is not None else None]


async def _agrees(today: dt.date) -> None:
    year = frameworks.live_year()
    kept = await dashboard.cached_evaluation(year=year, today=today)
    afresh = await evidence.evaluate(toolkit=year, today=today)
    assert _shown(kept) == _shown(afresh)
    assert [v.name for v in kept.suppliers] == [v.name for v in afresh.suppliers]


async def test_after_each_kind_of_change_the_kept_readiness_is_the_fresh_one(monkeypatch):
    today = dt.date.today()
    a = await factories.supplier(name="Alder Pathology Ltd", handles_patient_data=True)
    b = await factories.supplier(name="Birch Couriers", supplier_type="non_it")
    c = await factories.supplier(name="Cedar Records")
    contract_a = await factories.contract(a["id"])
    await factories.certification(b["id"])
    await factories.contract(c["id"], data_role="controller")
    dashboard._LIVE.clear()
    dashboard._EVALUATIONS.clear()
    await _agrees(today)  # a whole read

    reads = {"whole": 0, "patched": 0}
    whole, patched = snapshot.portfolio, snapshot.refreshed

    async def count_whole(*args, **kwargs):
        reads["whole"] += 1
        return await whole(*args, **kwargs)

    async def count_patched(*args, **kwargs):
        reads["patched"] += 1
        return await patched(*args, **kwargs)

    monkeypatch.setattr(snapshot, "portfolio", count_whole)
    monkeypatch.setattr(snapshot, "refreshed", count_patched)

    changes = [
        lambda: factories.supplier(name="Aardvark Imaging", handles_patient_data=True),  # new, first by name
        lambda: suppliers.update_supplier(c["id"], SupplierPatch(name="Alpha Cedar Records")),  # moves
        lambda: factories.contract(b["id"], data_role="processor", personal_data=True),
        lambda: suppliers.update_contract(contract_a["id"], ContractPatch(
            end_date=today - dt.timedelta(days=1))),  # ends: a gap now
        lambda: contracts.set_clause(contract_a["id"], "art28.documented_instructions", status="present",
                                     location="clause 4", note=None, version=None, actor="test"),
        lambda: suppliers.create_subprocessor(a["id"], SubProcessorCreate(
            name="Offshore Hosting Inc", location="United States")),
        lambda: factories.certification(a["id"], scheme="dspt", status="25/26 Standards Met",
                                        issued_on=today - dt.timedelta(days=40)),
        lambda: suppliers.archive_supplier(b["id"]),
    ]
    for n, change in enumerate(changes):
        await change()
        await _agrees(today)
        assert reads["patched"] == n + 1, f"change {n} read everything again"
    # each change was read for its supplier alone, none by reading everything again (the
    # fresh evaluation in _agrees is the one whole read per change)
    assert reads["patched"] == len(changes)
    assert reads["whole"] == len(changes)


async def test_a_change_naming_no_supplier_reads_everything_again(monkeypatch):
    from portal.core import audit

    today = dt.date.today()
    await factories.supplier(name="Elm Transcription")
    dashboard._LIVE.clear()
    dashboard._EVALUATIONS.clear()
    await _agrees(today)
    called = []
    patched = snapshot.refreshed

    async def count_patched(*args, **kwargs):
        called.append(1)
        return await patched(*args, **kwargs)

    monkeypatch.setattr(snapshot, "refreshed", count_patched)
    await audit.record("organisation.updated", target_type="organisation", target_id=1)
    await _agrees(today)
    assert called == []


async def test_a_kept_portfolio_is_read_whole_again_once_its_lifetime_is_over(monkeypatch):
    """With no new event the kept portfolio still ages out: a change that committed late
    (or behind the portal's back) shows within the lifetime, not never."""
    from models.tables import Contract

    today = dt.date.today()
    supplier = await factories.supplier(name="Fir Scanning", handles_patient_data=True)
    contract = await factories.contract(supplier["id"])
    dashboard._LIVE.clear()
    dashboard._EVALUATIONS.clear()
    await _agrees(today)
    await Contract.update({Contract.end_date: today - dt.timedelta(days=1)}).where(
        Contract.id == contract["id"])  # no audit event: what a late commit looks like
    monkeypatch.setattr(dashboard, "_LIFETIME_S", 0.0)
    await _agrees(today)


async def test_an_event_committed_late_below_the_kept_one_is_applied():
    """PostgreSQL takes an event's id before the change commits: an event below the newest
    kept one that was not yet committed when the portfolio was read is read now."""
    today = dt.date.today()
    late = await factories.supplier(name="Gorse Archiving", handles_patient_data=True)
    contract = await factories.contract(late["id"])
    other = await factories.supplier(name="Hazel Couriers")
    dashboard._LIVE.clear()
    dashboard._EVALUATIONS.clear()
    await _agrees(today)
    # Gorse's contract ends in a transaction whose event took its id before the portfolio
    # was read but committed after: its change is not in the kept records, its id not seen.
    await suppliers.update_contract(contract["id"], ContractPatch(end_date=today - dt.timedelta(days=1)))
    await dashboard.cached_evaluation(year=frameworks.live_year(), today=today)
    (live,) = dashboard._LIVE.values()
    live["seen"].discard(max(live["seen"]))  # that event: not yet committed when read
    running = today + dt.timedelta(days=900)  # its contract, as the records stood then
    for row in live["data"]["contracts"]:
        if row["id"] == contract["id"]:
            row["end_date"] = running
            as_read = row
    for view in live["views"]:
        if view.id == late["id"]:
            view.current.append(as_read)
            view.checks.clear()
    await suppliers.update_supplier(other["id"], SupplierPatch(name="Hazel Couriers Ltd"))
    await _agrees(today)  # Gorse read again with Hazel: its contract has ended
