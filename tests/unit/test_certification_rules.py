"""Certificate validity rules (domain.md §2) on plain values."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.certifications.rules import (
    ce_plus_audit_in_time,
    derived_expiry,
    expiring_within,
    higher_verification,
    parse_dspt_status,
    validity,
)

TODAY = dt.date(2026, 3, 1)


@pytest.mark.parametrize("text,year,level", [
    ("24/25 Standards Met", "24/25", "met"), ("23/24 Standards Exceeded", "23/24", "exceeded"),
    ("25/26 Approaching Standards", "25/26", "approaching"),
    ("22/23 Standards Not Met (plan agreed)", "22/23", "not_met"),
    ("Not Published", None, "not_published"), ("rubbish", None, "unknown"),
    ("24/26 Standards Met", None, "met")])
def test_dspt_status_text_is_parsed(text, year, level):
    parsed = parse_dspt_status(text)
    assert parsed.toolkit_year == year and parsed.level == level


def test_dspt_counts_until_30_june_the_year_after_the_toolkit_year():
    assert parse_dspt_status("24/25 Standards Met").current_until == dt.date(2026, 6, 30)
    assert validity(scheme="dspt", status="24/25 Standards Met", today=dt.date(2026, 6, 30)).current
    late = validity(scheme="dspt", status="24/25 Standards Met", today=dt.date(2026, 7, 1))
    assert not late.current and "30 June 2026" in late.reason


def test_only_met_and_exceeded_satisfy_and_approaching_is_partial():
    assert validity(scheme="dspt", status="24/25 Standards Exceeded", today=TODAY).satisfies
    approaching = validity(scheme="dspt", status="24/25 Approaching Standards", today=TODAY)
    assert approaching.partial and not approaching.satisfies
    assert not validity(scheme="dspt", status="Not Published", today=TODAY).current


def test_cyber_essentials_lasts_twelve_months_from_issue():
    issued = dt.date(2025, 3, 2)
    assert derived_expiry("cyber_essentials", issued, None) == dt.date(2026, 3, 1)
    assert validity(scheme="cyber_essentials", issued_on=issued, today=TODAY).current
    expired = validity(scheme="cyber_essentials_plus", issued_on=dt.date(2025, 2, 1), today=TODAY)
    assert not expired.current and "expired" in expired.reason


def test_iso27001_2013_edition_is_void_from_31_october_2025():
    kwargs = dict(scheme="iso27001", issued_on=dt.date(2024, 1, 1), expires_on=dt.date(2027, 1, 1),
                  edition="2013")
    assert validity(**kwargs, today=dt.date(2025, 10, 30)).current
    void = validity(**kwargs, today=dt.date(2025, 10, 31))
    assert not void.current and "31 October 2025" in void.reason
    assert validity(**{**kwargs, "edition": "2022"}, today=TODAY).current
    assert derived_expiry("iso27001", dt.date(2024, 1, 1), None) == dt.date(2026, 12, 31)


def test_missing_dates_and_future_dates_are_not_current():
    assert not validity(scheme="cyber_essentials", today=TODAY).current
    assert not validity(scheme="iso27001", issued_on=dt.date(2027, 1, 1), today=TODAY).current
    assert validity(scheme="other", today=TODAY).current


def test_certificates_for_another_entity_or_a_narrow_scope_are_flagged():
    v = validity(scheme="cyber_essentials", issued_on=dt.date(2025, 6, 1), today=TODAY,
                 legal_entity="Meridian Holdings Ltd", supplier_legal_name="Meridian Health Records Ltd",
                 scope="Head office only, excluding the hosting platform")
    assert v.current and len(v.flags) == 2
    same = validity(scheme="cyber_essentials", issued_on=dt.date(2025, 6, 1), today=TODAY,
                    legal_entity="MERIDIAN HEALTH RECORDS LIMITED",
                    supplier_legal_name="Meridian Health Records Ltd")
    assert same.flags == ()


def test_ce_plus_audit_must_follow_basic_within_three_months():
    assert ce_plus_audit_in_time(dt.date(2025, 1, 10), dt.date(2025, 4, 10))
    assert not ce_plus_audit_in_time(dt.date(2025, 1, 10), dt.date(2025, 4, 11))


def test_verification_levels_and_expiring_lists():
    assert higher_verification("self_declared", "register_verified") == "register_verified"
    soon = expiring_within([(1, dt.date(2026, 3, 20)), (2, dt.date(2026, 5, 30)),
                            (3, dt.date(2026, 2, 1)), (4, None)], today=TODAY, days=30)
    assert [e.id for e in soon] == [1] and soon[0].days_left == 19
