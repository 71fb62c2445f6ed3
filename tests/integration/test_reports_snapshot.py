"""The records as at a date: built through the services over several (moved) days, the
portfolio rebuilt from the audit trail for day N equals the one read from the tables on day N."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.assessments import service as assessments
from portal.contracts import service as contracts
from portal.core import dates
from portal.reports import snapshot
from portal.reports.service import manifest
from portal.risks import api as risks
from portal.suppliers import service as suppliers
from portal.suppliers.schemas import (
    ContractPatch,
    SubProcessorCreate,
    SubProcessorPatch,
    SupplierPatch,
)
from tests import factories


@pytest.fixture
def clock(monkeypatch):
    """Move the portal's clock to noon UTC of a day (the day, not the real one)."""
    def travel(day: dt.date) -> None:
        moment = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        monkeypatch.setattr(dates, "now", lambda: moment)
    return travel


def _records(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in snapshot.ABOUT}


async def test_portfolio_as_at_each_day_equals_that_days_portfolio(clock):
    today = dt.date.today()
    days = [today - dt.timedelta(days=n) for n in (4, 3, 2, 1)]
    seen: dict[dt.date, dict] = {}

    clock(days[0])
    first = await factories.supplier(name="Alpha Records")
    alpha_contact = await factories.contact(first["id"])
    alpha_contract = await factories.contract(first["id"])
    await factories.certification(first["id"])
    second = await factories.supplier(name="Beta Couriers", handles_personal_data=False)
    await factories.contact(second["id"])
    seen[days[0]] = await snapshot.portfolio()

    clock(days[1])
    await suppliers.update_supplier(first["id"], SupplierPatch(legal_name="Alpha Records plc"))
    await suppliers.update_contract(alpha_contract["id"], ContractPatch(
        products_services=["EPR licence", "EPR hosting"]))
    await contracts.set_clause(alpha_contract["id"], "art28.audit_information", status="present",
                               location="Clause 9", note=None, version=None, actor="reviewer")
    await contracts.set_clause(alpha_contract["id"], "breach.notification", status="present",
                               location="Clause 10", note=None, version=None, actor="reviewer",
                               hours=24)
    sub = await suppliers.create_subprocessor(first["id"], SubProcessorCreate(
        name="Cloud Hosting Ltd", location="United Kingdom"))
    await risks.log_risk(risks.RiskCreate(supplier_id=first["id"], kind="incident",
                                          title="Late breach report", severity="high"))
    assessment, token = await factories.submitted_assessment(first["id"], alpha_contact["id"])
    seen[days[1]] = await snapshot.portfolio()

    clock(days[2])
    await assessments.review(assessment["id"], decision="accept", comment="", question_ids=None,
                             reviewer="reviewer")
    await suppliers.update_subprocessor(sub["id"], SubProcessorPatch(location="Ireland"))
    await suppliers.archive_supplier(second["id"])
    seen[days[2]] = await snapshot.portfolio()

    clock(days[3])
    await suppliers.update_supplier(first["id"], SupplierPatch(name="Alpha Health Records"))
    await contracts.set_clause(alpha_contract["id"], "art28.audit_information", status="missing",
                               location="", note=None, version=None, actor="reviewer")
    seen[days[3]] = await snapshot.portfolio()

    for day in days:
        rebuilt = await snapshot.portfolio(as_at=day)
        assert rebuilt["as_at"] == day and rebuilt["unaudited"] == {}
        want = _records(seen[day])
        got = _records(rebuilt)
        for name in want:
            if name == "scores":
                continue
            assert got[name] == want[name], (day, name)
        # the score as at the day comes from the rules over that day's records
        assert [(s["supplier"], s["tier"], s["rating"], s["score"]) for s in got["scores"]] == \
            [(s["supplier"], s["tier"], s["rating"], s["score"]) for s in want["scores"]], day
        assert manifest({**got, "scores": []}) == manifest({**want, "scores": []})

    # what changed shows: the name before and after, the archived supplier, the sub-processor
    names = {d: [s["name"] for s in seen[d]["suppliers"]] for d in days}
    assert names[days[1]] == ["Alpha Records", "Beta Couriers"]
    assert names[days[2]] == ["Alpha Records"] and names[days[3]] == ["Alpha Health Records"]
    as_at_2 = await snapshot.portfolio(as_at=days[1])
    assert [s["location"] for s in as_at_2["subprocessors"]] == ["United Kingdom"]
    assert [a["status"] for a in as_at_2["assessments"]] == ["submitted"]
    assert (await snapshot.portfolio(as_at=days[0] - dt.timedelta(days=1)))["suppliers"] == []


async def test_as_at_follows_the_uk_day(clock):
    # 23:30 UTC on a summer day is 00:30 the next day in London (BST)
    summer = dt.date(2026, 7, 1)
    moment = dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC)
    import portal.core.dates as d

    clock(summer)
    d_now = d.now
    try:
        d.now = lambda: moment  # noqa: E731 - the clock seam
        await factories.supplier(name="Late Night Ltd")
    finally:
        d.now = d_now
    assert (await snapshot.portfolio(as_at=summer))["suppliers"] == []
    assert [s["name"] for s in (await snapshot.portfolio(as_at=summer + dt.timedelta(days=1)))[
        "suppliers"]] == ["Late Night Ltd"]
    assert dates.end_of_uk_day(summer) == dt.datetime(2026, 7, 1, 23, 0, tzinfo=dt.UTC)
    assert dates.end_of_uk_day(dt.date(2026, 1, 10)) == dt.datetime(2026, 1, 11, 0, 0, tzinfo=dt.UTC)


async def test_as_at_counts_another_organisations_assessment_from_the_day_it_was_imported():
    """A reused assessment (imported from a signed bundle) counts in the score as at a date
    once it had been imported, exactly as in today's score, and not before."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from models.tables import ReusedAssessment, SupplierScore
    from portal.bundles import envelope
    from portal.bundles import service as bundles
    from tests.integration.bundle_steps import _accepted, _as_other, _payload

    ours, assessment = await _accepted()
    signed = await bundles.build(assessment["id"])
    other = Ed25519PrivateKey.generate()
    raw = envelope.public_key_bytes(other.public_key())
    await bundles.add_issuer(organisation_name="North Moor ICB", ods_code="QNM",
                             public_key=envelope.b64(raw), actor="admin",
                             fingerprint=envelope.format_fingerprint(envelope.fingerprint(raw)))
    target = await factories.supplier(name="Meridian (ours)", companies_house_number="07654321")
    await bundles.import_bundle(_as_other(signed, other, supplier={
        **_payload(signed)["supplier"], "companies_house_number": "07654321"}), actor="reviewer")
    assert await ReusedAssessment.count() == 1

    live = {s["supplier"]: s["score"] for s in await SupplierScore.select(
        SupplierScore.supplier, SupplierScore.score)}
    today = await snapshot.portfolio(as_at=dt.date.today())
    rebuilt = {s["supplier"]: s for s in today["scores"]}
    assert rebuilt[target["id"]]["score"] == live[target["id"]]
    assert "North Moor ICB" in str(rebuilt[target["id"]]["breakdown"])
    # Before it was imported, the same records have no reused assessment to count.
    await ReusedAssessment.update({ReusedAssessment.imported_at: dates.now()
                                   + dt.timedelta(days=2)}, force=True)
    later = {s["supplier"]: s for s in (await snapshot.portfolio(
        as_at=dt.date.today()))["scores"]}
    assert "North Moor ICB" not in str(later[target["id"]]["breakdown"])
