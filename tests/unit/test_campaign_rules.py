"""Who a campaign reaches, on plain values."""

from __future__ import annotations

import datetime as dt

from portal.assessments.campaign_rules import (
    ALREADY_OPEN,
    ANNUAL_REASSESSMENT,
    NO_CONTACT,
    NO_TIER,
    Candidate,
    Filter,
    bundle,
    choose,
    matches,
    percent,
)

TODAY = dt.date(2026, 12, 2)


def supplier(n: int, **facts) -> Candidate:
    return Candidate(supplier_id=n, name=f"S{n}", contact_id=n, **facts)


def test_annual_reassessment_takes_the_never_and_the_stale():
    never = supplier(1)
    stale = supplier(2, last_accepted=dt.date(2025, 12, 1))
    recent = supplier(3, last_accepted=dt.date(2026, 1, 3))
    exactly = supplier(4, last_accepted=dt.date(2026, 1, 2))  # 11 months to the day: due
    assert [c.supplier_id for c in (never, stale, recent, exactly)
            if matches(ANNUAL_REASSESSMENT, c, TODAY)] == [1, 2, 4]


def test_tier_rating_type_and_contract_end_each_narrow_it():
    c = supplier(1, tier="critical", rating="amber", supplier_type="it_system",
                 contract_end_dates=[dt.date(2027, 3, 31)])
    assert matches(Filter(tiers=("critical",), ratings=("amber", "red")), c, TODAY)
    assert not matches(Filter(tiers=("baseline",)), c, TODAY)
    assert not matches(Filter(ratings=("green",)), c, TODAY)
    assert not matches(Filter(supplier_types=("non_it",)), c, TODAY)
    assert matches(Filter(contract_ends_before=dt.date(2027, 4, 1)), c, TODAY)
    assert not matches(Filter(contract_ends_before=dt.date(2027, 3, 31)), c, TODAY)
    assert not matches(Filter(contract_ends_before=dt.date(2027, 4, 1)), supplier(2), TODAY)
    unscored = supplier(3)
    assert matches(Filter(), unscored, TODAY) and not matches(Filter(tiers=("critical",)),
                                                             unscored, TODAY)


def test_who_is_skipped_and_why():
    ready = supplier(1)
    nobody = Candidate(supplier_id=2, name="S2", contact_id=None)
    busy = supplier(3, has_open=True)
    chosen, skipped = choose(Filter(), [ready, nobody, busy], TODAY)
    assert chosen == [ready]
    assert [(c.supplier_id, why) for c, why in skipped] == [(2, NO_CONTACT), (3, ALREADY_OPEN)]
    chosen, skipped = choose(Filter(skip_open=False), [ready, nobody, busy], TODAY)
    assert chosen == [ready, busy] and len(skipped) == 1


def test_the_filter_is_kept_as_json():
    rule = Filter(tiers=("critical",), contract_ends_before=dt.date(2027, 1, 1))
    assert rule.as_json() == {"tiers": ["critical"], "ratings": [], "supplier_types": [],
                              "diligence_older_than_months": None,
                              "contract_ends_before": "2027-01-01", "skip_open": True}
    assert percent(1, 3) == 33 and percent(0, 0) == 0


REQUIRED = {"required": {"critical": ["ddq", "gdpr"], "elevated": ["ddq"], "baseline": ["ddq"]},
            "processor_needs": ["gdpr"], "affects_care_needs": ["safety"]}


def per_key(*rows: dict) -> dict[str, list[Candidate]]:
    """Each key's candidates: the same suppliers, with that questionnaire's own facts."""
    return {key: [supplier(r["n"], tier=r.get("tier"), **r.get(key, {})) for r in rows]
            for key in ("ddq", "gdpr", "safety")}


def test_a_bundle_sends_each_supplier_what_its_tier_needs():
    facts = per_key({"n": 1, "tier": "critical"}, {"n": 2, "tier": "baseline"},
                    {"n": 3, "tier": None})
    chosen, skipped = bundle(Filter(), facts, REQUIRED, TODAY)
    assert [(c.supplier_id, c.questionnaire) for c in chosen] == [
        (1, "ddq"), (1, "gdpr"), (2, "ddq")]
    assert [(c.supplier_id, why) for c, why in skipped] == [(3, NO_TIER)]


def test_a_bundle_skips_only_the_items_already_open_or_recently_accepted():
    facts = per_key({"n": 1, "tier": "critical", "gdpr": {"has_open": True}},
                    {"n": 2, "tier": "critical", "ddq": {"last_accepted": dt.date(2026, 6, 1)}})
    chosen, skipped = bundle(ANNUAL_REASSESSMENT, facts, REQUIRED, TODAY)
    assert [(c.supplier_id, c.questionnaire) for c in chosen] == [(1, "ddq"), (2, "gdpr")]
    assert [(c.supplier_id, c.questionnaire, why) for c, why in skipped] == [
        (1, "gdpr", ALREADY_OPEN)]
    # Without "leave out the open ones", the open item goes too (the single-send rule).
    chosen, _ = bundle(Filter(skip_open=False), facts, REQUIRED, TODAY)
    assert (1, "gdpr") in [(c.supplier_id, c.questionnaire) for c in chosen]


def test_a_bundle_filter_by_tier_leaves_out_the_untiered_silently():
    facts = per_key({"n": 1, "tier": "elevated"}, {"n": 2, "tier": None},
                    {"n": 3, "tier": "critical"})
    chosen, skipped = bundle(Filter(tiers=("critical",)), facts, REQUIRED, TODAY)
    assert [(c.supplier_id, c.questionnaire) for c in chosen] == [(3, "ddq"), (3, "gdpr")]
    assert skipped == []


def test_a_bundle_adds_what_the_score_adds_for_processors_and_systems_that_affect_care():
    facts = per_key({"n": 1, "tier": "baseline"}, {"n": 2, "tier": "baseline"},
                    {"n": 3, "tier": "critical"})
    for key in facts:  # the supplier's own facts, the same for every questionnaire
        for c in facts[key]:
            c.processor = c.supplier_id in (1, 3)
            c.affects_care = c.supplier_id == 2
    chosen, _ = bundle(Filter(), facts, REQUIRED, TODAY)
    assert [(c.supplier_id, c.questionnaire) for c in chosen] == [
        (1, "ddq"), (1, "gdpr"), (2, "ddq"), (2, "safety"), (3, "ddq"), (3, "gdpr")]
