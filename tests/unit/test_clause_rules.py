"""Which clauses a contract requires: the rule (rules.py + requirements.yaml) on plain values."""

from __future__ import annotations

import pytest

from portal.contracts.library import KEYS, clause_label, clause_title, legal_reference, library
from portal.contracts.rules import (
    ClauseFacts,
    RuleError,
    _parse,
    agreement_kind,
    conditions,
    policy,
    required_clauses,
    required_for,
    requirements,
)

ART28 = {k for k in KEYS if k.startswith("art28.")} - {"art28.sub_processor_changes"}
IT_ONLY = {"nhs.cyber_essentials", "nhs.security_alerts", "security.vulnerability_testing",
           "exit.transition"}


def needs(**facts) -> set[str]:
    return set(required_clauses(ClauseFacts(**facts)))


def test_every_expression_and_condition_is_read_and_sourced():
    rules = policy()
    assert len(rules.clauses) == len(KEYS)
    assert all(c.source and c.means for c in conditions().values())


def test_article_28_terms_only_for_processors():
    processor = needs(data_role="processor", personal_data=True)
    assert ART28 <= processor
    for role in ("controller", "joint_controller", "none"):
        assert not ART28 & needs(data_role=role, personal_data=True), role
    # a processor role with no personal data recorded needs no Article 28 terms
    assert not ART28 & needs(data_role="processor", personal_data=False)


def test_controllers_sharing_data_get_sharing_expectations_not_article_28():
    solicitors = ClauseFacts(data_role="controller", personal_data=True, patient_data=True,
                             supplier_type="non_it")
    assert agreement_kind(solicitors) == "data_sharing_agreement"
    required = set(required_clauses(solicitors))
    assert {"breach.notification", "transfers.international"} <= required
    assert not ART28 & required and not IT_ONLY & required
    assert agreement_kind(ClauseFacts(data_role="joint_controller", personal_data=True)) \
        == "article_26_arrangement"
    assert agreement_kind(ClauseFacts(data_role="processor", personal_data=True)) == "article_28"
    assert agreement_kind(ClauseFacts(data_role="processor")) is None


@pytest.mark.parametrize("supplier_type", ["non_it"])
def test_cyber_essentials_and_alerts_only_for_it_suppliers(supplier_type):
    """Couriers, shredders and solicitors with patient data: DSPT and training, no CE+."""
    courier = needs(data_role="processor", personal_data=True, patient_data=True,
                    supplier_type=supplier_type, affects_care=True)
    assert not IT_ONLY & courier
    assert {"nhs.dspt_compliance", "staff.training", "continuity.bcdr"} <= courier
    it = needs(data_role="processor", personal_data=True, patient_data=True,
               supplier_type="it_system")
    assert IT_ONLY <= it


def test_services_supplied_decide_access_and_testing_clauses():
    remote = needs(system_access="remote", supplier_type="it_service")
    assert {"access.remote_mfa", "security.vulnerability_testing", "nhs.dspt_compliance"} <= remote
    assert "access.remote_mfa" in needs(system_access="privileged", supplier_type="non_it")
    assert "access.remote_mfa" not in needs(system_access="user", supplier_type="it_service")
    assert "continuity.bcdr" in needs(supports_essential_function=True, supplier_type="non_it")
    assert needs() == set()


def test_own_purposes_clause_for_processors_of_sensitive_data():
    assert "data.no_own_purposes" in needs(data_role="processor", personal_data=True,
                                          special_category_data=True)
    assert "data.no_own_purposes" not in needs(data_role="processor", personal_data=True)


def test_the_reasons_name_the_conditions_that_applied():
    reasons = requirements(ClauseFacts(data_role="processor", personal_data=True,
                                       system_access="remote"))
    assert "processor" in reasons["art28.audit_information"].reason
    assert "remote" in reasons["access.remote_mfa"].reason
    assert reasons["disputes.resolution"].required is False and reasons["disputes.resolution"].reason == ""


def test_rows_and_objects_read_the_same():
    contract = {"data_role": "processor", "personal_data": True, "patient_data": True,
                "system_access": None, "id": 4}
    assert required_for(contract, {"supplier_type": "non_it", "affects_care": False}) == \
        required_clauses(ClauseFacts(data_role="processor", personal_data=True,
                                     patient_data=True, supplier_type="non_it"))


@pytest.mark.parametrize("expression", ["__import__('os')", "processor + 1", "data_role.upper()",
                                        "unknown_name", "personal_data and", "1 == 1"])
def test_expressions_outside_the_small_language_are_refused(expression):
    with pytest.raises(RuleError):
        _parse(expression, {"processor", "data_role", "personal_data"}, "test")


def test_titles_and_references_for_people():
    assert clause_title("art28.audit_information") == "Audit and information"
    assert legal_reference("art28.audit_information") == "UK GDPR Article 28(3)(h)"
    assert clause_label("art28.audit_information") == \
        "Audit and information (UK GDPR Article 28(3)(h))"
    assert clause_title("made.up_key") == "Up key" and legal_reference("made.up_key") == ""
    clauses = library()
    assert "09/23" in clauses["nhs.cyber_essentials"].legal_basis
    assert "09/14" not in clauses["nhs.cyber_essentials"].legal_reference
    assert "Standard Contract" not in clauses["nhs.dspt_compliance"].legal_basis
    assert "charter" in clauses["nhs.dspt_compliance"].legal_basis
    assert not any("standard contract" in c.legal_basis.lower() for c in clauses.values())


def applies(**facts) -> dict[str, bool]:
    return {k: r.applies for k, r in requirements(ClauseFacts(**facts)).items()}


@pytest.mark.parametrize("role", ["controller", "joint_controller", "none"])
def test_article_28_terms_do_not_apply_unless_the_supplier_is_our_processor(role):
    """Article 28 terms to a solicitors' firm that is an independent controller are not
    'recommended': they are not for that contract at all, and it says why."""
    facts = dict(data_role=role, personal_data=role != "none", supplier_type="non_it")
    shown = applies(**facts)
    assert not any(shown[k] for k in ART28 | {"art28.sub_processor_changes"})
    assert not (ART28 & needs(**facts))
    assert all(library()[k].does_not_apply.startswith("Article 28 terms are for a processor")
               for k in ART28)
    assert shown["breach.notification"] and shown["liability.insurance"]


def test_processor_terms_apply_to_a_processor_whatever_its_type():
    shown = applies(data_role="processor", personal_data=True, supplier_type="non_it")
    assert all(shown[k] for k in ART28)


def test_it_only_clauses_do_not_apply_to_couriers_and_shredders():
    courier = applies(data_role="processor", personal_data=True, patient_data=True,
                      supplier_type="non_it")
    assert not courier["nhs.security_alerts"] and not courier["security.vulnerability_testing"]
    assert courier["nhs.cyber_essentials"]  # PPN 09/23 may still be asked for, as recommended
    it = applies(data_role="processor", personal_data=True, supplier_type="it_service")
    assert it["nhs.security_alerts"] and it["security.vulnerability_testing"]


def test_a_clause_that_does_not_apply_is_never_required():
    for role in ("processor", "controller", "joint_controller", "none"):
        for kind in ("it_system", "it_service", "non_it"):
            for r in requirements(ClauseFacts(data_role=role, personal_data=True, patient_data=True,
                                              system_access="privileged", supplier_type=kind,
                                              supports_essential_function=True)).values():
                assert r.applies or not r.required, (role, kind, r.key)
