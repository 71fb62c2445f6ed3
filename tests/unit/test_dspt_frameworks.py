"""The framework data (frameworks.yaml), CAF A4.a logic and the standard 10 answers, with plain values."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from portal.contracts.library import library
from portal.reports import answers, caf, facts, frameworks
from portal.reports.frameworks import FRAMEWORKS_FILE, FrameworkError

TODAY = dt.date(2026, 12, 1)


# Framework data ------------------------------------------------------------------------

@pytest.mark.parametrize("year", ["2023-24", "2024-25", "2025-26", "2026-27"])
@pytest.mark.parametrize("category", [1, 2, 3, 4])
def test_every_year_and_category_resolves(year, category):
    view = frameworks.resolve(year, category)
    if category == 1 and year != "2023-24":
        assert view.framework == "caf" and view.outcome.id == "A4.a" and not view.items
    else:
        assert view.framework == "ndg" and view.items
        assert all(i.answer in ("yes_no", "text") and i.text for i in view.items)
    assert view.confirmed or view.notes  # an unconfirmed year always says why
    other = frameworks.resolve(year, category, framework="ndg" if view.framework == "caf" else "caf")
    assert other.framework != view.framework


def test_the_corrected_facts():
    v8 = frameworks.resolve("2025-26", 4)
    assert [i.ref for i in v8.items] == ["10.1.2", "10.2.1", "10.2.2"] and v8.confirmed
    assert {i.ref: i.mandatory for i in v8.items} == {"10.1.2": True, "10.2.1": True, "10.2.2": False}
    assert not any(i.ref in ("10.2", "10.3") for i in v8.items)  # 10.2 is an assertion
    wording = next(i for i in v8.items if i.ref == "10.2.1").text
    for scheme in ("Cyber Essentials", "ISO/IEC 27001", "Digital Marketplace", "DSPT"):
        assert scheme in wording
    assert frameworks.resolve("2023-24", 1).framework == "ndg"  # CAF came in 2024-25
    assert frameworks.live_year() == "2026-27"
    a4a = frameworks.outcome("A4.a")
    assert a4a.expected_level == "partially_achieved" and a4a.source and a4a.source_date
    ids = [s.id for s in a4a.statements]
    assert ids == [f"NA{i}" for i in range(1, 7)] + [f"PA{i}" for i in range(1, 8)] + \
        [f"A{i}" for i in range(1, 11)]
    assert "numbering unconfirmed" not in FRAMEWORKS_FILE.read_text()


def _broken(mutate):
    data = yaml.safe_load(FRAMEWORKS_FILE.read_text())
    data = copy.deepcopy(data)
    mutate(data)
    with pytest.raises(FrameworkError):
        frameworks.validate(data)


def test_validation_refuses_bad_data():
    _broken(lambda d: d["years"]["2025-26"]["categories"].pop(3))
    _broken(lambda d: d["item_sets"]["ndg_2023_24"]["items"][0].update(measure="vibes"))
    _broken(lambda d: d["item_sets"]["ndg_2023_24"]["items"][0].update(ref="10.1"))  # assertion
    _broken(lambda d: d["item_sets"]["ndg_2023_24"].pop("note"))  # unconfirmed, no note
    _broken(lambda d: d["outcomes"]["A4.a"]["statements"][0].pop("check"))


# Plain records ------------------------------------------------------------------------

def supplier(i, name, **kw):
    return {"id": i, "name": name, "legal_name": name + " Ltd", "handles_personal_data": True,
            "handles_patient_data": False, "affects_care": False, "supplier_type": "it_service",
            "archived_at": None, **kw}


def contract(i, s, **kw):
    return {"id": i, "supplier": s, "title": f"Contract {i}", "start_date": dt.date(2026, 1, 1),
            "end_date": dt.date(2027, 12, 31), "data_role": "controller", "personal_data": True,
            "patient_data": False, "system_access": "none", "access_monitored": False,
            "third_party_connection": False, "connection_assured": False,
            "supports_essential_function": False, "special_category_data": False,
            "processing_subject_matter": "HR", "processing_nature_purpose": "Payroll",
            "personal_data_types": "Names", "data_subject_categories": "Staff",
            "data_locations": "United Kingdom", "transfer_mechanism": "uk", "tra_reference": "",
            "archived_at": None, **kw}


def cert(s, scheme="cyber_essentials", **kw):
    return {"supplier": s, "scheme": scheme, "status": "", "issued_on": dt.date(2026, 6, 1),
            "expires_on": None, "edition": "", "legal_entity": "", "scope": "Whole organisation",
            "accreditation_body": "", "audited_on": None, "flags_cleared": "[]",
            "scheme_name": "", "archived_at": None, **kw}


def portfolio(**kw):
    base = {"suppliers": [supplier(1, "Acme")], "contracts": [contract(10, 1)],
            "contacts": [{"supplier": 1, "name": "A", "email": "a@x.test", "archived_at": None}],
            "products": [{"supplier": 1, "name": "Payroll"}],
            "clauses": [{"contract": c, "key": k, "status": "present"} for c in (10, 11)
                        for k in library()],
            "certifications": [cert(1)], "assessments": [], "risks": [], "scores": [],
            "subprocessors": []}
    base.update(kw)
    return base


def views(**kw):
    return facts.build(portfolio(**kw), TODAY)


def attest(**values):
    return {k: caf.Attested(v, "", "Ivy Lead", "IG lead", dt.datetime(2026, 11, 1)) for k, v in values.items()}


ALL_ATTESTED = dict(NA5=False, PA1=True, PA6=True, A1=True, A2=True, A3=True, A5=True, A7=True,
                    A8=True, A10=True)


def outcome_of(vs, **att):
    return caf.evaluate(frameworks.outcome("A4.a"), vs, attest(**att))


def by_id(assessment):
    return {r.statement.id: r for r in assessment.results}


# CAF logic ----------------------------------------------------------------------------

def test_level_logic_with_plain_values():
    a4a = frameworks.outcome("A4.a")

    def level(values):
        return caf.level_of([caf.Result(s, values.get(s.id, True if s.level != "not_achieved" else False), "")
                             for s in a4a.statements])[0]
    assert level({}) == "achieved"
    assert level({"A3": None}) == "partially_achieved"  # unknown never counts as true
    assert level({"A3": False, "PA4": None}) == "not_achieved"
    # unknown never counts as true: an unknown NA statement does not hold by itself
    assert level({"NA5": None}) == "achieved"
    assert level({"NA5": None, "A3": None}) == "partially_achieved"
    assert level({"NA5": None, "NA6": True}) == "not_achieved"
    assert level({"NA6": True}) == "not_achieved"


def test_clean_record_set_is_partially_achieved_without_achieved_attestations():
    result = outcome_of(views(), **{k: v for k, v in ALL_ATTESTED.items() if not k.startswith("A")})
    assert result.level == "partially_achieved", result.reasons
    assert result.meets_expectation and result.expected_label == "Partially achieved"
    assert by_id(result)["A1"].value is None


def test_unattested_statements_are_unknown_and_keep_it_not_achieved():
    result = outcome_of(views())
    assert by_id(result)["NA5"].value is None and result.level == "not_achieved"
    assert any("NA5" in r for r in result.reasons)


def test_offshore_without_safeguard_makes_na6_true_and_names_the_supplier():
    vs = views(suppliers=[supplier(1, "Acme"), supplier(2, "Offshore Co")],
               contracts=[contract(10, 1), contract(11, 2, data_locations="India",
                                                    transfer_mechanism="none")],
               certifications=[cert(1), cert(2)])
    result = outcome_of(vs, **ALL_ATTESTED)
    na6 = by_id(result)["NA6"]
    assert na6.value is True and [n for n, _ in na6.records] == ["Offshore Co"]
    assert result.level == "not_achieved"


@pytest.mark.parametrize("where,mechanism,tra,holds", [
    ("United Kingdom", "uk", "", False), ("Ireland", "adequacy", "", False),
    ("USA", "idta", "TRA-7", False), ("USA", "idta", "", True), ("USA", "uk_addendum", "", True),
    ("", "uk", "", True), ("Germany", "unknown", "", True), ("USA", "uk", "", True)])
def test_na6_transfer_rules(where, mechanism, tra, holds):
    vs = views(contracts=[contract(10, 1, data_locations=where, transfer_mechanism=mechanism,
                                   tra_reference=tra)])
    assert (by_id(outcome_of(vs))["NA6"].value is True) is holds


def test_sub_processors_of_a_processor():
    proc = contract(10, 1, data_role="processor")
    unknown = by_id(outcome_of(views(contracts=[proc])))["NA2"]
    assert unknown.value is None and unknown.records  # none recorded: can't tell
    sub = {"supplier": 1, "name": "Cloudy", "location": "", "transfer_mechanism": "unknown",
           "tra_reference": "", "until": None, "archived_at": None}
    assert by_id(outcome_of(views(contracts=[proc], subprocessors=[sub])))["NA2"].value is True
    sub_ok = {**sub, "location": "United Kingdom", "transfer_mechanism": "uk"}
    assert by_id(outcome_of(views(contracts=[proc], subprocessors=[sub_ok])))["NA2"].value is False


def test_access_connections_and_incidents():
    vs = views(contracts=[contract(10, 1, system_access="remote", third_party_connection=True)])
    r = by_id(outcome_of(vs, **ALL_ATTESTED))
    assert r["NA4"].value is True and r["PA5"].value is False
    vs = views(contracts=[contract(10, 1, system_access="remote", access_monitored=True,
                                   third_party_connection=True, connection_assured=True)])
    r = by_id(outcome_of(vs, **ALL_ATTESTED))
    assert r["NA4"].value is False and r["PA5"].value is True
    incident = {"supplier": 1, "kind": "incident", "title": "Leak", "status": "open", "owner": "",
                "mitigation": "", "archived_at": None}
    r = by_id(outcome_of(views(risks=[incident]), **ALL_ATTESTED))
    assert r["PA6"].value is False and r["PA6"].records
    assert by_id(outcome_of(views(risks=[incident])))["PA6"].value is False
    assert by_id(outcome_of(views()))["PA6"].value is None  # records fine, not attested


def test_missing_or_expired_contract_counts_against_na3_and_na1():
    vs = views(contracts=[contract(10, 1, end_date=dt.date(2025, 1, 1))])
    r = by_id(outcome_of(vs))
    assert r["NA3"].value is True and r["NA1"].value is True


# Standard 10 answers ------------------------------------------------------------------

def items(year="2025-26", category=4):
    return {i.ref: i for i in frameworks.resolve(year, category).items}


def test_answers_are_yes_or_no_and_count_every_in_scope_supplier():
    vs = views(suppliers=[supplier(1, "Acme"), supplier(2, "Lapsed"), supplier(3, "Never")],
               contracts=[contract(10, 1), contract(11, 2, end_date=dt.date(2025, 3, 31))],
               contacts=[{"supplier": s, "name": "A", "email": "a@x.test", "archived_at": None}
                         for s in (1, 2, 3)],
               products=[{"supplier": s, "name": "P"} for s in (1, 2, 3)],
               certifications=[cert(1), cert(2), cert(3)])
    got = {a.item.ref: a for a in answers.answer_items(items().values(), vs, today=TODAY)}
    register = got["10.1.2"]
    assert register.answer == "No" and (register.met, register.of) == (1, 3)
    assert {g.supplier for g in register.gaps} == {"Lapsed", "Never"}
    contracts_ = got["10.2.2"]
    assert contracts_.answer == "No" and contracts_.of == 3
    assert got["10.2.1"].answer == "Yes" and got["10.2.1"].of == 3
    assert all(a.answer in ("Yes", "No") for a in got.values())


def test_non_it_suppliers_are_left_out_of_10_2_1_only_and_the_rule_says_so():
    vs = views(suppliers=[supplier(1, "Acme"), supplier(2, "Shred It", supplier_type="non_it")],
               contracts=[contract(10, 1), contract(11, 2)], certifications=[cert(1)])
    got = {a.item.ref: a for a in answers.answer_items(items().values(), vs, today=TODAY)}
    assert got["10.2.1"].answer == "Yes" and got["10.2.1"].of == 1
    assert "Shred It" in got["10.2.1"].rule and "non-IT" in got["10.2.1"].rule
    assert got["10.1.2"].of == 2


@pytest.mark.parametrize("held,ok", [
    (dict(scheme="iso27001", expires_on=dt.date(2027, 1, 1), edition="2022"), True),
    (dict(scheme="other", scheme_name="Digital Marketplace (G-Cloud 14)"), True),
    (dict(scheme="dspt", status="25/26 Standards Met"), True),
    (dict(scheme="dspt", status="25/26 Approaching Standards"), False),
    (dict(scheme="cyber_essentials", issued_on=dt.date(2024, 1, 1)), False),  # expired
    (dict(scheme="other", scheme_name="BS EN 15713"), False)])
def test_10_2_1_accepts_any_one_national_scheme(held, ok):
    vs = views(certifications=[cert(1, **held)])
    assert (answers.answer_item(items()["10.2.1"], vs, today=TODAY).answer == "Yes") is ok



# With nothing on record -----------------------------------------------------------------

def test_no_supplier_on_record_leaves_every_records_statement_unknown():
    result = outcome_of(views(suppliers=[], contracts=[], contacts=[], products=[],
                              certifications=[]), **ALL_ATTESTED)
    records = [r for r in result.results if r.statement.evidence == "records"]
    assert records and all(r.value is None for r in records), [(r.statement.id, r.value) for r in records]
    assert result.level == "not_achieved"  # PA2-PA5 and PA7 are unknown, so not met


def test_no_supplier_on_record_answers_no_not_a_vacuous_yes():
    items = frameworks.resolve("2025-26", 4).items
    found = answers.answer_items(items, views(suppliers=[], contracts=[], contacts=[],
                                              products=[], certifications=[]), today=TODAY)
    assert [a.answer for a in found] == ["No", "No", "No"]
    assert all("No supplier that handles personal information is recorded" in a.figure for a in found)
    disputes = next(i for i in frameworks.resolve("2023-24", 4).items if i.measure == "disputes")
    assert answers.answer_item(disputes, views(suppliers=[]), today=TODAY).answer == "Yes"


# Non-IT suppliers judged by their own schemes (domain.md §4) ---------------------------

def test_pa3_counts_a_non_it_supplier_by_its_own_scheme():
    shredder = supplier(2, "Shred Co", supplier_type="non_it")
    bs = cert(2, "other", scheme_name="BS EN 15713", expires_on=dt.date(2027, 6, 1))
    without = by_id(outcome_of(views(suppliers=[supplier(1, "Acme"), shredder],
                                     contracts=[contract(10, 1), contract(11, 2)])))["PA3"]
    assert without.value is False and [n for n, _ in without.records] == ["Shred Co"]
    with_own = by_id(outcome_of(views(suppliers=[supplier(1, "Acme"), shredder],
                                      contracts=[contract(10, 1), contract(11, 2)],
                                      certifications=[cert(1), bs])))["PA3"]
    assert with_own.value is True
    expired = {**bs, "expires_on": dt.date(2026, 11, 30)}
    assert by_id(outcome_of(views(suppliers=[supplier(1, "Acme"), shredder],
                                  contracts=[contract(10, 1), contract(11, 2)],
                                  certifications=[cert(1), expired])))["PA3"].value is False
    # an IT supplier's own-scheme certificate is not a toolkit certificate
    it_only = cert(1, "other", scheme_name="BS EN 15713")
    assert by_id(outcome_of(views(certifications=[it_only])))["PA3"].value is False


def test_a4_judges_a_critical_non_it_supplier_by_its_own_scheme():
    score = {"supplier": 2, "tier": "critical", "breakdown": "{}"}
    shredder = supplier(2, "Shred Co", supplier_type="non_it", handles_patient_data=True)
    bs = cert(2, "other", scheme_name="BS EN 15713")
    base = dict(suppliers=[shredder], contracts=[contract(11, 2)], scores=[score])
    short = by_id(outcome_of(views(**base, certifications=[])))["A4"]
    assert short.value is False and "own trade's scheme" in short.records[0][1]
    assert by_id(outcome_of(views(**base, certifications=[bs])))["A4"].value is True


# An as-at pack's cover on records the portal did not hold that day ----------------------

def test_the_cover_says_when_the_records_begin_and_what_was_entered_later():
    from portal.reports.pack import before_records

    deadline, first = dt.date(2026, 6, 30), dt.date(2026, 12, 2)
    said = before_records(deadline, first, {"contracts": 3, "certifications": 1})
    assert said[0].startswith("The portal's records begin on 02 December 2026, so as at "
                              "30 June 2026 it held none.")
    assert "answered \u201cNo\u201d because nothing was recorded" in said[0]
    assert said[1] == ("Entered in the portal after that day, so not counted here although they "
                       "describe that time: 3 contracts that had started by 30 June 2026 and 1 "
                       "certificate issued by then.")
    caf_cover = before_records(deadline, first, {}, framework="caf")
    assert len(caf_cover) == 1 and "\u201cUnknown\u201d" in caf_cover[0]
    assert before_records(deadline, None, {})[0].startswith("The portal holds no records yet")
    # a day the portal already held records: only what was entered later, if anything
    assert before_records(first, first, {}) == []
    assert before_records(first, deadline, {"subprocessors": 2}) == [
        "Entered in the portal after that day, so not counted here although they describe that "
        "time: 2 sub-processors engaged by 02 December 2026."]
