"""The standard 10 score on plain values: points, reasons, fixes, tiers and gates."""

from __future__ import annotations

import datetime as dt

from portal.contracts.library import required_keys
from portal.scoring.rules import (
    AssessmentFacts,
    CertificationFacts,
    ContractFacts,
    RiskFacts,
    SupplierFacts,
    score,
)

TODAY = dt.date(2026, 3, 1)
ALL_CLAUSES = {k: "present" for k in required_keys(data_role="processor", personal_data=True,
                                                    patient_data=True)}


def contract(**overrides) -> ContractFacts:
    values = dict(id=1, title="EPR", start_date=dt.date(2025, 1, 1), end_date=dt.date(2027, 1, 1),
                  data_role="processor", personal_data=True, patient_data=True, products=2,
                  clauses=dict(ALL_CLAUSES), breach_hours=24,
                  required=tuple(required_keys(data_role="processor", personal_data=True,
                                               patient_data=True)))
    values.update(overrides)
    return ContractFacts(**values)


def supplier(**overrides) -> SupplierFacts:
    values = dict(id=1, name="Meridian", legal_name="Meridian Ltd", handles_personal_data=True,
                  handles_patient_data=True, affects_care=True, contacts=1,
                  contracts=(contract(),),
                  certifications=(CertificationFacts(1, "dspt", "24/25 Standards Met"),
                                  CertificationFacts(2, "cyber_essentials_plus",
                                                     issued_on=dt.date(2025, 9, 1))),
                  assessments=(AssessmentFacts(1, "accepted", dt.date(2025, 12, 1), 1.0),),
                  risks=())
    values.update(overrides)
    return SupplierFacts(**values)


def by_key(result):
    return {c.key: c for c in result.criteria}


def test_a_model_supplier_is_green_with_full_marks():
    result = score(supplier(), today=TODAY)
    assert (result.score, result.rating, result.tier, result.gates) == (100, "green", "critical", [])
    assert all(c.met for c in result.criteria)


def test_tiers_follow_the_data_handled():
    baseline = supplier(handles_personal_data=False, handles_patient_data=False, affects_care=False,
                        contracts=(contract(personal_data=False, patient_data=False,
                                            data_role="none", required=()),))
    assert score(baseline, today=TODAY).tier == "baseline"
    elevated = supplier(handles_patient_data=False, affects_care=False,
                        contracts=(contract(patient_data=False),))
    assert score(elevated, today=TODAY).tier == "elevated"


def test_missing_article_28_clause_makes_a_processor_red_whatever_the_points():
    clauses = dict(ALL_CLAUSES)
    clauses["art28.sub_processors"] = "missing"
    result = score(supplier(contracts=(contract(clauses=clauses),)), today=TODAY)
    assert result.rating == "red" and result.score >= 80
    assert "art28.sub_processors" in result.gates[0]
    assert any("art28.sub_processors" in f for f in by_key(result)["contracted"].fixes)


def test_critical_supplier_without_current_dspt_is_red():
    result = score(supplier(certifications=(CertificationFacts(
        1, "dspt", "22/23 Standards Met"),)), today=TODAY)
    assert result.rating == "red"
    certified = by_key(result)["certified"]
    assert certified.points == 0 and any("stopped counting" in r for r in certified.reasons)


def test_breach_window_is_graded():
    def contracted(hours):
        return by_key(score(supplier(contracts=(contract(breach_hours=hours),)),
                            today=TODAY))["contracted"].points

    assert contracted(24) > contracted(48) > contracted(None)
    assert contracted(72) == contracted(None)


def test_due_diligence_needs_an_accepted_assessment_within_twelve_months():
    old = supplier(assessments=(AssessmentFacts(1, "accepted", dt.date(2024, 12, 1), 1.0),))
    criterion = by_key(score(old, today=TODAY))["due_diligence"]
    assert criterion.points == 0 and "more than 12 months" in criterion.reasons[0]
    half = supplier(assessments=(AssessmentFacts(1, "accepted", dt.date(2025, 12, 1), 0.5),))
    assert by_key(score(half, today=TODAY))["due_diligence"].points == 12.5
    nothing_scorable = supplier(assessments=(AssessmentFacts(1, "accepted", dt.date(2025, 12, 1),
                                                             None),))
    assert by_key(score(nothing_scorable, today=TODAY))["due_diligence"].met


def test_open_high_risk_without_owner_loses_the_risk_points():
    risky = supplier(risks=(RiskFacts(1, "risk", "high", "open", "", "", ""),
                            RiskFacts(2, "dispute", "medium", "open", "Jo", "Talks", "")))
    criterion = by_key(score(risky, today=TODAY))["risks"]
    assert criterion.points == 0 and len(criterion.fixes) == 2


def test_known_criterion_lists_what_is_missing():
    unknown = supplier(legal_name="", contacts=0, contracts=())
    criterion = by_key(score(unknown, today=TODAY))["known"]
    assert criterion.points == 0
    assert any("legal name" in f for f in criterion.fixes)
