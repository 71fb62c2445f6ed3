"""The action plan from plain gaps: wording, owners, priorities, dates, grouping."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.reports.actions import ORGANISATION_WIDE, Gap, clause_words, load_policy, plan, rows

AS_AT = dt.date(2026, 6, 30)


def test_clause_gaps_of_one_contract_become_one_variation_with_titles_and_legal_references():
    gaps = [Gap("Meridian", "critical", "clause", "art28.audit_information", contract="EPR"),
            Gap("Meridian", "critical", "clause", "breach.notification", contract="EPR"),
            Gap("Meridian", "critical", "clause", "art28.sub_processors", contract="Hosting")]
    [meridian] = plan(gaps, as_at=AS_AT)
    assert len(meridian.actions) == 2 and sum(a.gaps for a in meridian.actions) == 3
    epr = next(a for a in meridian.actions if "'EPR'" in a.action)
    assert "Audit and information (UK GDPR Article 28(3)(h))" in epr.action
    assert "Breach notification" in epr.action
    assert "art28." not in epr.action and "breach.notification" not in epr.action
    assert epr.owner == "Contract manager (procurement)"


def test_owner_follows_what_the_fix_needs():
    gaps = [Gap("A", "elevated", "certificate", "a current Cyber Essentials certificate"),
            Gap("A", "elevated", "due_diligence", detail="no accepted assessment in 12 months"),
            Gap("", None, "attestation", "IG is part of procurement"),
            Gap("A", "elevated", "contract", contract="Archive storage")]
    plans = plan(gaps, as_at=AS_AT)
    owners = {a.kind: a.owner for p in plans for a in p.actions}
    assert owners == {"certificate": "Reviewer", "due_diligence": "Reviewer",
                      "attestation": "IG lead", "contract": "Contract manager (procurement)"}


def test_priority_from_tier_and_due_dates_spread_by_priority():
    gaps = [Gap("Critical Co", "critical", "certificate", "a current DSPT at Standards Met"),
            Gap("Elevated Co", "elevated", "certificate", "Cyber Essentials"),
            Gap("Baseline Co", "baseline", "register", "a named contact")]
    by_name = {p.supplier: p for p in plan(gaps, as_at=AS_AT)}
    assert {n: (p.priority, p.due) for n, p in by_name.items()} == {
        "Critical Co": ("high", dt.date(2026, 7, 30)),
        "Elevated Co": ("medium", dt.date(2026, 8, 29)),
        "Baseline Co": ("low", dt.date(2026, 9, 28))}


def test_plan_is_ordered_organisation_wide_first_then_by_priority_and_names_each_supplier_once():
    gaps = [Gap("Zed", "baseline", "register", "contract dates"),
            Gap("Able", "critical", "clause", "art28.confidentiality", contract="EPR"),
            Gap("Able", "critical", "certificate", "ISO/IEC 27001"),
            Gap("", None, "statement", "Supplier access to our systems is monitored")]
    plans = plan(gaps, as_at=AS_AT)
    assert [p.supplier for p in plans] == [ORGANISATION_WIDE, "Able", "Zed"]
    table = rows(plans)
    assert [r[0] for r in table] == [ORGANISATION_WIDE, "Able", "", "Zed"]
    assert table[1][3] == "high" and table[1][4] == "30 Jul 2026"


def test_policy_is_data_and_can_be_changed():
    policy = {**load_policy(), "due_days_by_priority": {"high": 7, "medium": 14, "low": 21}}
    [p] = plan([Gap("A", "critical", "certificate", "CE+")], as_at=AS_AT, policy=policy)
    assert p.due == dt.date(2026, 7, 7)


def test_fifty_nine_gaps_make_a_short_plan():
    keys = ["art28.audit_information", "art28.sub_processors", "breach.notification",
            "art28.confidentiality", "transfers.international"]
    gaps = [Gap(f"Supplier {n}", "elevated", "clause", keys[i % 5], contract="Main contract")
            for n in range(12) for i in range(5)][:59]
    plans = plan(gaps, as_at=AS_AT)
    assert sum(len(p.actions) for p in plans) == 12


def test_unknown_keys_and_kinds():
    assert clause_words("made.up_key") == "Up key"
    with pytest.raises(ValueError):
        plan([Gap("A", "critical", "wish")], as_at=AS_AT)


def test_caf_shortfalls_are_actions_owned_by_the_role_that_closes_them():
    gaps = [Gap("Gamma", "critical", "subprocessors", "NA2", detail="no sub-processors recorded"),
            Gap("Gamma", "critical", "subprocessors", "PA2", detail="no sub-processors recorded"),
            Gap("Gamma", "critical", "transfer", "NA6", detail="data held in India with no safeguard"),
            Gap("Gamma", "critical", "access", "NA4", detail="remote access is not monitored"),
            Gap("Gamma", "critical", "connection", "PA5", detail="connection is not assured"),
            Gap("Gamma", "critical", "particulars", "NA1", detail="no processing particulars")]
    [gamma] = plan(gaps, as_at=AS_AT)
    by_kind = {a.kind: a for a in gamma.actions}
    assert {k: a.owner for k, a in by_kind.items()} == {
        "subprocessors": "Contract manager (procurement)", "transfer": "Contract manager (procurement)",
        "access": "IT security lead", "connection": "IT security lead",
        "particulars": "Contract manager (procurement)"}
    subs = by_kind["subprocessors"]
    assert subs.gaps == 2 and subs.action == (
        "Ask for its sub-processors and record each with where it processes our data "
        "(CAF A4.a NA2, PA2: no sub-processors recorded).")
    assert "IDTA or the UK Addendum with a transfer risk assessment" in by_kind["transfer"].action
    assert not any(a.action.startswith("Meet CAF") for a in gamma.actions)
