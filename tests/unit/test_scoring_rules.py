"""The standard 10 score on plain values: points, reasons, fixes, tiers and gates."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.contracts.rules import ClauseFacts, required_clauses
from portal.scoring.rules import (
    AssessmentFacts,
    CertificationFacts,
    ContractFacts,
    RiskFacts,
    SupplierFacts,
    score,
)

TODAY = dt.date(2026, 3, 1)
PATIENT_PROCESSOR = required_clauses(ClauseFacts(data_role="processor", personal_data=True,
                                                patient_data=True))
ALL_CLAUSES = {k: "present" for k in PATIENT_PROCESSOR}


def contract(**overrides) -> ContractFacts:
    values = dict(id=1, title="EPR", start_date=dt.date(2025, 1, 1), end_date=dt.date(2027, 1, 1),
                  data_role="processor", personal_data=True, patient_data=True, products=2,
                  clauses=dict(ALL_CLAUSES), breach_hours=24,
                  required=PATIENT_PROCESSOR)
    values.update(overrides)
    return ContractFacts(**values)


def supplier(**overrides) -> SupplierFacts:
    values = dict(id=1, name="Meridian", legal_name="Meridian Ltd", handles_personal_data=True,
                  handles_patient_data=True, affects_care=True, contacts=1,
                  contracts=(contract(),),
                  certifications=(CertificationFacts(1, "dspt", "24/25 Standards Met",
                                                     issued_on=dt.date(2025, 6, 20),
                                                     verification="register_verified"),
                                  CertificationFacts(2, "cyber_essentials_plus",
                                                     issued_on=dt.date(2025, 9, 1),
                                                     audited_on=dt.date(2025, 9, 1),
                                                     verification="reviewer_checked"),
                                  CertificationFacts(3, "cyber_essentials",
                                                     issued_on=dt.date(2025, 7, 1),
                                                     verification="reviewer_checked")),
                  assessments=(AssessmentFacts(1, "accepted", dt.date(2025, 12, 1), 1.0),
                               AssessmentFacts(2, "accepted", dt.date(2025, 12, 1), 1.0,
                                               definition_key="uk-gdpr-processor"),
                               AssessmentFacts(3, "accepted", dt.date(2025, 12, 1), 1.0,
                                               definition_key="clinical-safety")),
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
    assert "Sub-processors (UK GDPR Article 28(2) and 28(4))" in result.gates[0]
    assert any("Sub-processors" in f for f in by_key(result)["contracted"].fixes)


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
    assert contracted(0) == contracted(24)  # 0 hours is "immediately": full credit
    assert contracted(72) < contracted(None)  # more than 48 hours is a gap


def test_due_diligence_needs_an_accepted_assessment_within_twelve_months():
    others = (AssessmentFacts(2, "accepted", dt.date(2025, 12, 1), 1.0,
                              definition_key="uk-gdpr-processor"),
              AssessmentFacts(3, "accepted", dt.date(2025, 12, 1), 1.0,
                              definition_key="clinical-safety"))
    old = supplier(assessments=(AssessmentFacts(1, "accepted", dt.date(2024, 12, 1), 1.0),
                                *others))
    criterion = by_key(score(old, today=TODAY))["due_diligence"]
    assert criterion.points == pytest.approx(25 * 2 / 3)
    assert any("more than 12 months" in r for r in criterion.reasons)
    half = supplier(assessments=(AssessmentFacts(1, "accepted", dt.date(2025, 12, 1), 0.5),
                                 *others))
    assert by_key(score(half, today=TODAY))["due_diligence"].points == pytest.approx(25 * 2.5 / 3)
    # "nothing scorable" is no score, never full marks
    nothing_scorable = supplier(assessments=(AssessmentFacts(1, "accepted", dt.date(2025, 12, 1),
                                                             None), *others))
    criterion = by_key(score(nothing_scorable, today=TODAY))["due_diligence"]
    assert not criterion.met and criterion.points == pytest.approx(25 * 2 / 3)
    assert any("nothing in it is scorable" in r for r in criterion.reasons)


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


# Issue 11: tier from what the supplier can reach ----------------------------------------


def _plain(**overrides):
    """A supplier with no personal data at all (baseline unless something else says)."""
    values = dict(handles_personal_data=False, handles_patient_data=False, affects_care=False,
                  contracts=(contract(personal_data=False, patient_data=False, data_role="none",
                                      required=()),))
    values.update(overrides)
    return supplier(**values)


@pytest.mark.parametrize("access,expected", [("none", "baseline"), ("user", "elevated"),
                                             ("remote", "critical"), ("privileged", "critical")])
def test_access_to_our_systems_sets_the_tier(access, expected):
    facts = _plain(contracts=(contract(personal_data=False, patient_data=False, data_role="none",
                                       required=(), system_access=access),))
    result = score(facts, today=TODAY)
    assert result.tier == expected
    if expected != "baseline":
        assert access in result.tier_reasons[0]


def test_managed_it_provider_with_domain_admin_access_is_critical():
    facts = _plain(supplier_type="it_service", contracts=(contract(
        title="Managed IT service", personal_data=False, patient_data=False, data_role="none",
        required=(), system_access="privileged"),))
    result = score(facts, today=TODAY)
    assert result.tier == "critical"
    assert "privileged access" in " ".join(by_key(result)["known"].reasons)


def test_an_essential_function_makes_critical_and_special_category_data_elevated():
    essential = _plain(contracts=(contract(personal_data=False, patient_data=False,
                                           data_role="none", required=(),
                                           supports_essential_function=True),))
    assert score(essential, today=TODAY).tier == "critical"
    special = _plain(contracts=(contract(personal_data=False, patient_data=False,
                                         data_role="none", required=(),
                                         special_category_data=True),))
    assert score(special, today=TODAY).tier == "elevated"


# Gates --------------------------------------------------------------------------------


def test_processing_personal_data_on_an_expired_contract_is_red():
    """The payroll bureau: personal data, the contract ended, no Article 28 terms."""
    payroll = supplier(handles_patient_data=False, affects_care=False, contracts=(contract(
        title="Payroll bureau", patient_data=False, start_date=dt.date(2021, 4, 1),
        end_date=dt.date(2025, 3, 31), clauses={}),))
    result = score(payroll, today=TODAY)
    assert result.rating == "red"
    assert any("Processing without a contract" in g and "31 March 2025" in g for g in result.gates)


def test_a_partial_article_28_term_is_a_gap_for_the_gate():
    clauses = dict(ALL_CLAUSES, **{"art28.audit_information": "partial"})
    result = score(supplier(contracts=(contract(clauses=clauses),)), today=TODAY)
    assert result.rating == "red" and "Audit and information (UK GDPR Article 28(3)(h))" in result.gates[0]


def test_not_applicable_on_article_28_for_a_processor_counts_as_missing():
    clauses = dict(ALL_CLAUSES, **{"art28.sub_processors": "not_applicable"})
    result = score(supplier(contracts=(contract(clauses=clauses),)), today=TODAY)
    assert result.rating == "red" and "Sub-processors (UK GDPR Article 28(2) and 28(4))" in result.gates[0]


def test_an_open_high_severity_incident_caps_the_rating():
    unowned = supplier(risks=(RiskFacts(1, "incident", "high", "open", "", "", "",
                                        title="Letters sent to the wrong GP"),))
    result = score(unowned, today=TODAY)
    assert result.rating == "red" and "Letters sent to the wrong GP" in result.gates[0]
    assert "without an owner" in by_key(result)["risks"].reasons[0]
    assert not any("each with an owner" in r for r in by_key(result)["risks"].reasons)
    owned = supplier(risks=(RiskFacts(1, "incident", "high", "open", "Jo Bloggs",
                                      "Letters re-sent", "", title="Letters sent to the wrong GP"),))
    assert score(owned, today=TODAY).rating == "amber"
    closed = supplier(risks=(RiskFacts(1, "incident", "high", "closed", "", "", "", title="x"),))
    assert score(closed, today=TODAY).rating == "green"


def test_risk_reasons_tell_the_truth_about_owners():
    facts = supplier(risks=(RiskFacts(1, "risk", "low", "open", "", "", "", title="Minor"),))
    reasons = by_key(score(facts, today=TODAY))["risks"].reasons
    assert any("without an owner" in r for r in reasons)
    assert not any("each with an owner" in r for r in reasons)


# Breach window -----------------------------------------------------------------------


def test_immediately_is_full_credit_and_more_than_48_hours_is_a_gap():
    immediate = by_key(score(supplier(contracts=(contract(breach_hours=0),)), today=TODAY))
    assert immediate["contracted"].met
    slow = by_key(score(supplier(contracts=(contract(breach_hours=72),)), today=TODAY))
    assert any("72 hours" in r and "missing" in r for r in slow["contracted"].reasons)


# Knock-outs and acceptances ----------------------------------------------------------


def _knockout(**overrides):
    values = dict(id=9, kind="risk", severity="high", status="open", owner="", mitigation="",
                  data_security_risk="", title="No multi-factor authentication",
                  source_key="knockout:4:mfa", criterion="NHS England MFA policy")
    values.update(overrides)
    return RiskFacts(**values)


def test_an_open_knock_out_caps_at_red_until_mitigated_or_accepted():
    result = score(supplier(risks=(_knockout(owner="Jo", mitigation="Rolling out"),)), today=TODAY)
    assert result.rating == "red" and result.caps[0].kind == "knockout"
    assert "NHS England MFA policy" in result.gates[0]
    mitigated = score(supplier(risks=(_knockout(status="mitigated"),)), today=TODAY)
    assert mitigated.rating == "green" and mitigated.caps == []
    accepted = score(supplier(risks=(_knockout(
        owner="Jo", mitigation="Rolling out", accepted_by="Dr Priya Shah", accepted_role="SIRO",
        accepted_reason="MFA rollout due in April", accepted_until=dt.date(2026, 4, 30)),)),
        today=TODAY)
    assert accepted.rating == "amber"
    assert "Dr Priya Shah (SIRO) until 30 April 2026" in accepted.gates[0]
    assert accepted.acceptances and "MFA rollout" in accepted.acceptances[0]


def test_an_acceptance_lapses_by_itself_at_its_date():
    risk = _knockout(accepted_by="Dr Priya Shah", accepted_role="SIRO", accepted_reason="x" * 12,
                     accepted_until=dt.date(2026, 3, 31))
    assert score(supplier(risks=(risk,)), today=dt.date(2026, 3, 31)).rating == "amber"
    lapsed = score(supplier(risks=(risk,)), today=dt.date(2026, 4, 1))
    assert lapsed.rating == "red" and "lapsed on 31 March 2026" in lapsed.gates[0]


def test_a_gate_is_accepted_through_the_risk_that_records_it():
    facts = supplier(certifications=(), risks=(RiskFacts(
        5, "risk", "high", "open", "CIO", "DSPT due in June", "", title="No DSPT",
        gate="critical_without_dspt", accepted_by="Dr Priya Shah", accepted_role="SIRO",
        accepted_reason="Publication due 30 June", accepted_until=dt.date(2026, 6, 30)),))
    result = score(facts, today=TODAY)
    gate = next(c for c in result.caps if c.key == "critical_without_dspt")
    assert gate.rating == "amber" and gate.risk_id == 5
    assert result.rating in ("amber", "red")  # at most amber; the points may still say red


def test_a_confidential_waste_contractor_can_be_green_on_its_own_scheme():
    waste = supplier(supplier_type="non_it", affects_care=False, certifications=(
        CertificationFacts(1, "dspt", "25/26 Standards Met", issued_on=dt.date(2026, 2, 1),
                           verification="register_verified"),
        CertificationFacts(2, "other", scheme_name="BS EN 15713:2023",
                           issued_on=dt.date(2025, 6, 1), expires_on=dt.date(2028, 5, 31),
                           verification="reviewer_checked")))
    result = score(waste, today=TODAY)
    assert (result.tier, result.rating) == ("critical", "green")
    certified = by_key(result)["certified"]
    assert certified.met and not any("10.2.1" in r for r in certified.reasons)
    # and an IT certificate alone does not stand in for its sector scheme and DSPT
    it_only = supplier(supplier_type="non_it", affects_care=False, certifications=(
        CertificationFacts(2, "cyber_essentials", issued_on=dt.date(2025, 9, 1),
                           verification="reviewer_checked"),))
    assert not by_key(score(it_only, today=TODAY))["certified"].met


def test_it_suppliers_show_dspt_10_2_1_and_the_local_bar_as_two_lines():
    result = score(supplier(certifications=(CertificationFacts(
        2, "cyber_essentials", issued_on=dt.date(2025, 9, 1), verification="reviewer_checked"),)),
        today=TODAY)
    reasons = by_key(result)["certified"].reasons
    assert reasons[0].startswith("DSPT 10.2.1") and "met by Cyber Essentials" in reasons[0]
    assert reasons[1].startswith("Local bar for a critical IT supplier")
    assert not by_key(result)["certified"].met


def test_critical_suppliers_need_reviewer_checked_certificates_to_count_in_full():
    self_declared = supplier(certifications=(
        CertificationFacts(1, "dspt", "24/25 Standards Met", issued_on=dt.date(2025, 6, 20),
                           verification="register_verified"),
        CertificationFacts(2, "iso27001", issued_on=dt.date(2025, 1, 1),
                           expires_on=dt.date(2028, 1, 1), edition="2022",
                           accreditation_body="UKAS")))
    certified = by_key(score(self_declared, today=TODAY))["certified"]
    assert certified.points == pytest.approx(25 * 0.75)
    assert any("not yet checked by a reviewer" in r for r in certified.reasons)


def test_a_charter_questionnaire_does_not_stand_in_for_due_diligence():
    charter = supplier(assessments=(AssessmentFacts(1, "accepted", dt.date(2025, 12, 1), 1.0,
                                                    definition_key="nhs-supplier-charter"),))
    due = by_key(score(charter, today=TODAY))["due_diligence"]
    assert due.points == 0 and any("does not stand in" in r for r in due.reasons)


def test_reasons_fixes_and_gates_name_clauses_and_questionnaires_in_words():
    """A person reads these on the dashboard, the supplier page and the supplier report: the
    clause titles and questionnaire titles, never the library's or the definitions' keys."""
    import re

    clauses = {k: "missing" for k in PATIENT_PROCESSOR}
    clauses["art28.audit_information"] = "partial"
    clauses["art28.sub_processors"] = "not_applicable"
    result = score(supplier(contracts=(contract(clauses=clauses),), assessments=()), today=TODAY)
    words = [*result.gates, *(t for c in result.criteria for t in (*c.reasons, *c.fixes))]
    raw = re.compile(r"\b[a-z0-9]+\.[a-z]+_[a-z_]+\b|\b(art28|nhs|staff|exit|continuity|data|"
                     r"breach|transfers|access|security)\.[a-z]+\b|\bndg10-|\buk-gdpr-processor")
    assert not [w for w in words if raw.search(w)], [w for w in words if raw.search(w)]
    contracted = " ".join(by_key(result)["contracted"].reasons)
    assert "Audit and information" in contracted and "Documented instructions" in contracted
    assert "Sub-processors (marked not applicable" in contracted
    assert "Supplier data security due diligence: none accepted." in \
        by_key(result)["due_diligence"].reasons
