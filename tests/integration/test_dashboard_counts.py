"""The dashboard counts what expires and which contracts lack clauses from kept data and
aggregates (not by reading the portfolio), and still counts exactly; it shows the soonest
few and links to the full list."""

from __future__ import annotations

import datetime as dt

from models.tables import SupplierScore
from portal.core.dates import add_months
from portal.staff import dashboard
from tests import factories
from tests.integration.journeys import sign_in
from tests.querycount import queries


async def test_clause_gaps_are_counted_from_the_kept_flag_and_from_a_row_not_yet_rescored():
    before = await dashboard.overview()
    supplier = await factories.supplier(handles_patient_data=True)
    await factories.contract(supplier["id"])  # a processor contract with no clause recorded
    flagged = await SupplierScore.select(SupplierScore.contract_gap, SupplierScore.tier).where(
        SupplierScore.supplier == supplier["id"]).first()
    assert flagged["contract_gap"] is True and flagged["tier"] in ("critical", "elevated")
    after = await dashboard.overview()
    assert after["clause_gap_count"] == before["clause_gap_count"] + 1
    # a score stored before the flag existed (NULL) is read from its breakdown
    await SupplierScore.update({SupplierScore.contract_gap: None}).where(
        SupplierScore.supplier == supplier["id"])
    # (written behind the portal's back, with no audit event: forget what was kept for
    # the last data version, or the view below would be that kept one)
    dashboard._EVALUATIONS.clear()
    with queries() as recorded:
        legacy = await dashboard.overview()
    assert any("contract_gap" in q and "IS NULL" in q for q in recorded.statements), recorded
    assert legacy["clause_gap_count"] == after["clause_gap_count"]
    assert supplier["id"] in {g["supplier_id"] for g in legacy["clause_gaps"]} or \
        len(legacy["clause_gaps"]) == dashboard.CLAUSE_GAPS_SHOWN


async def test_expiring_counts_are_exact_and_the_list_shows_the_soonest(client):
    today = dt.date.today()
    before = await dashboard.overview()
    supplier = await factories.supplier(name="Zephyr Transcription Services")
    for days in range(3, 15):  # twelve contracts ending within 30 days
        await factories.contract(supplier["id"], title=f"Transcription lot {days}",
                                 end_date=today + dt.timedelta(days=days))
    await factories.contract(supplier["id"], title="Transcription lot 75",
                             end_date=today + dt.timedelta(days=75))
    # a Cyber Essentials certificate runs 12 months from issue: this one ends in ~10 days
    await factories.certification(supplier["id"], issued_on=add_months(today, -12)
                                  + dt.timedelta(days=10))
    after = await dashboard.overview()
    assert after["contract_counts"][30] == before["contract_counts"][30] + 12
    assert after["contract_counts"][90] == before["contract_counts"][90] + 13
    assert after["cert_counts"][30] == before["cert_counts"][30] + 1
    soonest = after["contracts_soonest"]
    assert len(soonest) <= dashboard.EXPIRING_SHOWN
    assert [c["end_date"] for c in soonest] == sorted(c["end_date"] for c in soonest)
    assert all(c["end_date"] <= today + dt.timedelta(days=12) for c in soonest)

    await sign_in(client, "auditor")
    page = (await client.get("/staff/")).text
    assert f"the first {dashboard.EXPIRING_SHOWN} of {after['contract_counts'][90]}" in page
    assert "contract_end_to=" in page
    assert "Cyber Essentials" in page
    assert "cyber_essentials" not in page


async def test_a_rescoring_with_no_other_write_moves_the_kept_counts():
    """The daily rescoring (a date moving on, no other write) writes an audit event when a
    score changed, so the counts kept per data version don't stay behind; one that changed
    nothing writes none."""
    from models.tables import AuditEvent
    from portal.scoring.service import recompute_all

    for _ in range(3):
        supplier = await factories.supplier(handles_patient_data=True)
        await factories.certification(supplier["id"])
    later = dt.date.today() + dt.timedelta(days=3650)  # the certificates have lapsed
    await dashboard.overview()
    version = await dashboard.data_version()
    await recompute_all(today=later)
    assert await dashboard.data_version() != version
    event = await AuditEvent.select().order_by(AuditEvent.id, ascending=False).first()
    assert event["action"] == "scores.rescored" and event["supplier_id"] is None
    after = await dashboard.overview()
    assert after["ratings"] == (await dashboard.portfolio_counts())["ratings"]
    version = await dashboard.data_version()
    await recompute_all(today=later)
    assert await dashboard.data_version() == version  # nothing changed, nothing written
