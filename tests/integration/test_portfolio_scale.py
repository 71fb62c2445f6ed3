"""Rescoring the whole portfolio in bulk gives exactly what rescoring each supplier alone
gives, on a varied portfolio built through the services (tests/factories.py)."""

from __future__ import annotations

import datetime as dt
import json

from models.tables import Assessment, SupplierScore
from portal.assessments import service as assessments
from portal.core.db import write_transaction
from portal.risks.api import RiskCreate, log_risk
from portal.scoring import service as scoring
from portal.scoring.rules import score
from tests import factories

TODAY = dt.date.today()


async def _accepted(supplier_id: int, contact_id: int, *, failing: bool = False,
                    decided_days_ago: int = 0) -> int:
    assessment, token = await factories.sent_assessment(supplier_id, contact_id)
    view = await factories.answered(token)
    if failing:  # one yes/no answered "no": a different reading from a compliant one
        question = next(q for sec in view["questionnaire"]["sections"] for q in sec["questions"]
                        if q["visible"] and q["type"] == "yes_no"
                        and {"yes", "no"} <= {o["value"] for o in q["options"]})
        await assessments.save_answer(token, question["id"], value="no",
                                      version=view["answers"][question["id"]]["version"])
        await factories.answered(token)
    await assessments.submit(token)
    await assessments.review(assessment["id"], decision="accept", comment="", question_ids=None,
                             reviewer="reviewer")
    if decided_days_ago:  # an older decision (set directly: time passing, not a write)
        await Assessment.update({Assessment.decided_at: Assessment.decided_at
                                 - dt.timedelta(days=decided_days_ago)}).where(
            Assessment.id == assessment["id"])
    return assessment["id"]


async def varied_portfolio() -> list[int]:
    ids = []
    kinds = [
        {"supplier_type": "it_system", "handles_patient_data": True, "affects_care": True},
        {"supplier_type": "it_service", "handles_patient_data": False},
        {"supplier_type": "non_it", "handles_personal_data": False},
        {"supplier_type": "it_system", "handles_personal_data": True},
    ]
    for n in range(8):
        supplier = await factories.supplier(**kinds[n % len(kinds)])
        ids.append(supplier["id"])
        contact = await factories.contact(supplier["id"])
        if n % 3 != 2:
            await factories.contract(supplier["id"], data_role="processor" if n % 2 else "controller",
                                     system_access="privileged" if n == 1 else "none")
        if n % 4 == 1:
            await factories.contract(supplier["id"], title="Archive storage", personal_data=False,
                                     patient_data=False, data_role="none",
                                     end_date=TODAY - dt.timedelta(days=10),
                                     start_date=TODAY - dt.timedelta(days=400))
        schemes = [{"scheme": "cyber_essentials"},
                   {"scheme": "dspt", "status": "24/25 Standards Met",
                    "issued_on": dt.date(2025, 6, 27), "ods_code": f"X{n:04d}"},
                   {"scheme": "cyber_essentials_plus", "audited_on": TODAY - dt.timedelta(days=20)},
                   {"scheme": "iso27001", "edition": "2022", "accreditation_body": "UKAS",
                    "expires_on": TODAY + dt.timedelta(days=300)},
                   {"scheme": "dspt", "status": "23/24 Approaching Standards",
                    "issued_on": dt.date(2024, 6, 1)}]
        for spec in schemes[n % 5:n % 5 + 1 + n % 2]:
            await factories.certification(supplier["id"], **spec)
        if n % 3 == 0:
            await log_risk(RiskCreate(supplier_id=supplier["id"], kind="risk", title="Legacy VPN",
                                      severity="high" if n % 2 == 0 else "low"))
        if n in (0, 3, 5):
            # an older compliant assessment and a newer one with a failing answer: only the
            # newest counts
            await _accepted(supplier["id"], contact["id"], decided_days_ago=120)
            await _accepted(supplier["id"], contact["id"], failing=True)
        elif n == 6:
            await _accepted(supplier["id"], contact["id"], decided_days_ago=500)  # stale
    return ids


def _same(result) -> tuple:
    return (result.score, result.rating, result.tier,
            json.dumps(result.breakdown(), default=str), json.dumps(result.gates, default=str),
            json.dumps([c.as_dict() for c in result.caps], default=str))


async def test_bulk_recompute_equals_one_supplier_at_a_time(monkeypatch):
    ids = await varied_portfolio()
    bulk = {f.id: _same(score(f, today=TODAY)) for f in await scoring.load_facts(None)}
    assert set(ids) <= set(bulk)
    for supplier_id in ids:
        alone = await scoring.load_facts([supplier_id])
        assert bulk[supplier_id] == _same(score(alone[0], today=TODAY)), supplier_id
    assert len({b[0] for b in bulk.values()}) > 3  # the portfolio really is varied

    # Reading every accepted assessment (as before) or only the newest gives the same scores.
    every = [(a["id"], a["definition"]) for a in await Assessment.select(
        Assessment.id, Assessment.definition).where(Assessment.status == "accepted")]
    assert len(every) > len(scoring._latest_accepted(await Assessment.select(
        Assessment.id, Assessment.supplier, Assessment.status, Assessment.decided_at,
        Assessment.definition, Assessment.definition.key)))
    monkeypatch.setattr(scoring, "_latest_accepted", lambda rows: every)
    assert {f.id: _same(score(f, today=TODAY)) for f in await scoring.load_facts(None)} == bulk


async def _stored() -> dict[int, dict]:
    return {r["supplier"]: r for r in await SupplierScore.select(
        SupplierScore.supplier, SupplierScore.score, SupplierScore.rating, SupplierScore.tier,
        SupplierScore.breakdown, SupplierScore.fingerprint)}


async def test_recompute_all_stores_what_one_supplier_at_a_time_stores():
    ids = await varied_portfolio()  # (one decision was moved back in time: rescored below)
    await scoring.recompute_all()
    bulk = await _stored()
    await SupplierScore.delete(force=True)
    for supplier_id in ids:
        async with write_transaction():
            await scoring.recompute(supplier_id)
    assert await _stored() == bulk
    await scoring.recompute_all()  # nothing changed: nothing rewritten
    assert await _stored() == bulk


async def test_expiring_reads_only_candidates_but_finds_what_judging_every_row_finds():
    from models.tables import Certification
    from portal.certifications.rules import expiring_within
    from portal.certifications.service import expiring, with_validity

    await varied_portfolio()
    supplier = await factories.supplier()
    for days_ago in (330, 350, 364, 380):  # Cyber Essentials run 12 months from issue
        await factories.certification(supplier["id"], issued_on=TODAY - dt.timedelta(days=days_ago))
    await factories.certification(supplier["id"], scheme="iso27001", edition="2013",
                                  expires_on=TODAY + dt.timedelta(days=40))
    every = await Certification.select().where(Certification.archived_at.is_null())
    for today in (TODAY, TODAY + dt.timedelta(days=200), dt.date(2025, 9, 1), dt.date(2026, 5, 15)):
        rows = await with_validity(every, today=today)
        for days in (30, 90):
            wanted = [e.id for e in expiring_within(
                [(r["id"], r["expires_on"]) for r in rows if r["current"]], today=today, days=days)]
            found = [r["id"] for r in await expiring(days=days, today=today)]
            assert sorted(found) == sorted(wanted), (today, days)
    assert await expiring(days=90, today=TODAY)  # the case is not empty
