"""Certificate validity rules (domain.md §2) on plain values."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.certifications.rules import (
    ce_plus_audit_in_time,
    derived_expiry,
    expiring_within,
    higher_verification,
    iso_edition,
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


def test_iso27001_2013_edition_is_valid_to_31_october_2025_and_void_from_1_november():
    kwargs = dict(scheme="iso27001", issued_on=dt.date(2024, 1, 1), expires_on=dt.date(2027, 1, 1),
                  edition="2013", accreditation_body="UKAS")
    assert validity(**kwargs, today=dt.date(2025, 10, 31)).current  # last valid day
    void = validity(**kwargs, today=dt.date(2025, 11, 1))
    assert not void.current and "31 October 2025" in void.reason
    assert void.expires_on == dt.date(2025, 10, 31)
    assert validity(**{**kwargs, "edition": "2022"}, today=TODAY).current


@pytest.mark.parametrize("text,edition", [
    ("ISO/IEC 27001:2013", "2013"), ("27001:2013", "2013"), ("2013", "2013"),
    ("ISO 27001 2013", "2013"), ("ISO/IEC 27001:2022", "2022"), ("2022", "2022"),
    ("", None), ("latest", None)])
def test_iso_edition_is_recognised_in_any_common_spelling(text, edition):
    assert iso_edition(text) == edition


def test_every_spelling_of_2013_is_void_after_31_october_2025():
    for text in ("ISO/IEC 27001:2013", "27001:2013", "2013"):
        v = validity(scheme="iso27001", issued_on=dt.date(2023, 5, 1),
                     expires_on=dt.date(2026, 4, 30), edition=text, accreditation_body="UKAS",
                     today=dt.date(2025, 11, 1))
        assert not v.current, text


def test_blank_iso_edition_issued_before_1_may_2024_is_flagged_as_possibly_void():
    before = validity(scheme="iso27001", issued_on=dt.date(2024, 4, 30),
                      expires_on=dt.date(2027, 4, 29), accreditation_body="UKAS", today=TODAY)
    assert "edition_unknown" in before.flag_codes and "2013" in before.flags[0]
    after = validity(scheme="iso27001", issued_on=dt.date(2024, 5, 1),
                     expires_on=dt.date(2027, 4, 30), accreditation_body="UKAS", today=TODAY)
    assert "edition_unknown" not in after.flag_codes


def test_iso_without_an_accreditation_body_is_flagged():
    kwargs = dict(scheme="iso27001", issued_on=dt.date(2025, 1, 1), expires_on=dt.date(2028, 1, 1),
                  edition="2022", today=TODAY)
    assert "accreditation" in validity(**kwargs).flag_codes
    assert "accreditation" not in validity(**kwargs, accreditation_body="UKAS").flag_codes
    assert "accreditation" not in validity(**kwargs, accreditation_body="ANAB").flag_codes
    assert "accreditation" in validity(**kwargs, accreditation_body="Cheap Certs Ltd").flag_codes


def test_ce_plus_without_basic_ce_within_three_months_before_its_audit_is_flagged():
    kwargs = dict(scheme="cyber_essentials_plus", issued_on=dt.date(2025, 9, 1),
                  audited_on=dt.date(2025, 8, 20), today=TODAY)
    assert "ce_plus_basic" in validity(**kwargs).flag_codes  # no basic CE at all
    assert "ce_plus_basic" in validity(**kwargs, basic_ce_issued=(dt.date(2025, 5, 19),)).flag_codes
    assert "ce_plus_basic" not in validity(**kwargs,
                                           basic_ce_issued=(dt.date(2025, 5, 20),)).flag_codes
    assert "ce_plus_basic" in validity(**kwargs, basic_ce_issued=(dt.date(2025, 8, 21),)).flag_codes


def test_missing_dates_and_future_dates_are_not_current():
    assert not validity(scheme="cyber_essentials", today=TODAY).current
    assert not validity(scheme="iso27001", issued_on=dt.date(2027, 1, 1), today=TODAY).current
    # no expiry date: an ISO or other-scheme certificate can't be relied on
    no_expiry = validity(scheme="iso27001", issued_on=dt.date(2025, 1, 1), edition="2022",
                         accreditation_body="UKAS", today=TODAY)
    assert not no_expiry.current and "No expiry date" in no_expiry.reason
    assert not validity(scheme="other", issued_on=dt.date(2025, 1, 1), today=TODAY).current
    assert validity(scheme="other", issued_on=dt.date(2025, 1, 1), expires_on=dt.date(2026, 12, 31),
                    today=TODAY).current
    assert derived_expiry("iso27001", dt.date(2024, 1, 1), None) is None


def test_standards_not_fully_met_plan_agreed_is_a_level_that_does_not_satisfy():
    parsed = parse_dspt_status("24/25 Standards Not Fully Met (Plan Agreed)")
    assert (parsed.toolkit_year, parsed.level) == ("24/25", "plan_agreed")
    v = validity(scheme="dspt", status="24/25 Standards Not Fully Met (Plan Agreed)", today=TODAY)
    assert v.current and v.partial and not v.satisfies and "Plan Agreed" in v.reason


def test_dspt_publication_outside_its_toolkit_year_is_flagged():
    ok = validity(scheme="dspt", status="24/25 Standards Met", issued_on=dt.date(2025, 6, 27),
                  today=TODAY)
    assert ok.satisfies and ok.flag_codes == ()
    early = validity(scheme="dspt", status="24/25 Standards Met", issued_on=dt.date(2023, 6, 1),
                     today=TODAY)
    assert "dspt_publication" in early.flag_codes


def test_toolkit_year_deadlines_are_data(tmp_path, monkeypatch):
    from portal.certifications import rules

    text = rules.SCHEMES_FILE.read_text().replace("deadline: 2026-06-30", "deadline: 2026-09-30")
    custom = tmp_path / "schemes.yaml"
    custom.write_text(text)
    rules.load_schemes.cache_clear()
    monkeypatch.setattr(rules, "SCHEMES_FILE", custom)
    try:
        assert rules.parse_dspt_status.__wrapped__("24/25 Standards Met").current_until == \
            dt.date(2026, 9, 30)
    finally:
        rules.load_schemes.cache_clear()


def test_certificates_for_another_entity_or_a_narrow_scope_are_flagged():
    v = validity(scheme="cyber_essentials", issued_on=dt.date(2025, 6, 1), today=TODAY,
                 legal_entity="Meridian Holdings Ltd", supplier_legal_name="Meridian Health Records Ltd",
                 scope="Head office only, excluding the hosting platform")
    assert v.current and set(v.flag_codes) == {"legal_entity", "scope"}
    assert not v.satisfies and "reviewer" in v.reason  # does not count until cleared
    cleared = validity(scheme="cyber_essentials", issued_on=dt.date(2025, 6, 1), today=TODAY,
                       legal_entity="Meridian Holdings Ltd",
                       supplier_legal_name="Meridian Health Records Ltd",
                       scope="Head office only, excluding the hosting platform",
                       cleared=("legal_entity", "scope"))
    assert cleared.satisfies and cleared.cleared == ("legal_entity", "scope")
    parent = validity(scheme="iso27001", issued_on=dt.date(2025, 1, 1), edition="2022",
                      expires_on=dt.date(2028, 1, 1), accreditation_body="UKAS", today=TODAY,
                      legal_entity="QuickScribe Holdings Inc", scope="UK sales office only",
                      supplier_legal_name="QuickScribe UK Ltd")
    assert {"legal_entity", "scope"} <= set(parent.flag_codes) and not parent.satisfies
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
