"""CAF outcome A4.a Supply chain judged the CAF way (domain.md §7), from plain records.

Each statement is True, False or None (unknown), with the records behind it (the suppliers that
make it so). Unknown never counts as true (domain.md §7): an unknown not-achieved statement
does not hold, so by itself it does not make the outcome Not achieved (the pack lists it and the
action plan asks for it to be settled); an unknown partially-achieved or achieved statement is
not met. With nothing on record to judge a records statement by, it is unknown.

Logic: Not achieved if any NA statement is true; otherwise Achieved if every A statement is
true; otherwise Partially achieved if every PA statement is true; otherwise Not achieved.

Which statements the records answer, and how (`check` in frameworks.yaml):
  NA1 data_unknown          a supplier handling personal information has no current contract,
                            no data role, no processing particulars or no data location recorded
  NA2 subcontractors_unseen a processor's recorded sub-processor has no location (true); a
                            processor with no sub-processor recorded at all is unknown (the
                            portal can't tell "none" from "not recorded")
  NA3 contracts_lacking     an in-scope supplier has no current contract, or one lacking a
                            required term
  NA4 access_unmonitored    a current contract gives the supplier access to our systems that is
                            not recorded as restricted and monitored
  NA6 transfers_unprotected where data is held is not recorded, the transfer safeguard is
                            unknown, data goes abroad with no safeguard, or an IDTA / UK Addendum
                            has no transfer risk assessment (a supplier's or a sub-processor's)
  PA2 supply_chain_known    every in-scope supplier has a current contract, and every processor
                            has its sub-processors recorded with their locations
  PA3 suppliers_certified   every in-scope IT supplier holds an accepted certification (10.2.1);
                            every non-IT one that or a current certificate of its own scheme
  PA4 / A6 contracts_carry_terms  the negation of NA3
  PA5 connections_assured   every third-party connection is recorded as assured
  PA6 / A10 incidents_managed  attested by the IG lead, and no supply-chain incident is open
                            without an owner and a mitigation
  PA7 essential_info_protected  every supplier supporting the essential function holds an
                            accepted certification and carries the security-measures term
  A4 critical_suppliers_strong  every critical IT supplier holds a current Cyber Essentials Plus
                            or ISO/IEC 27001 and a DSPT at Standards Met; a critical non-IT
                            supplier a current certificate of its own scheme
  A9 connections_managed    every connection assured and every supplier access monitored
NA5, PA1, A1-A3, A5, A7, A8 are attested by the IG lead (the records can't show them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from portal.reports.facts import NEEDS_TRA, SAFEGUARDED, SupplierView, in_scope
from portal.reports.frameworks import LEVEL_LABELS, Outcome, Statement

UK_WORDS = ("uk", "united kingdom", "england", "scotland", "wales", "northern ireland",
            "great britain", "gb")


@dataclass(frozen=True)
class Attested:
    value: bool
    note: str
    attested_by: str
    role: str
    attested_at: object  # datetime


@dataclass
class Result:
    statement: Statement
    value: bool | None  # True, False, None = unknown
    basis: str  # what decided it, in words
    records: list[tuple[str, str]] = field(default_factory=list)  # (supplier, why)
    attestation: Attested | None = None

    @property
    def shown(self) -> str:
        return {True: "True", False: "False", None: "Unknown"}[self.value]


@dataclass
class Assessment:
    outcome: Outcome
    results: list[Result]
    level: str
    reasons: list[str]

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def expected_label(self) -> str:
        return LEVEL_LABELS[self.outcome.expected_level]

    @property
    def meets_expectation(self) -> bool:
        order = list(LEVEL_LABELS)
        return order.index(self.level) >= order.index(self.outcome.expected_level)


def is_uk(location: str) -> bool:
    parts = [p.strip().lower() for p in location.replace(";", ",").split(",") if p.strip()]
    return bool(parts) and all(p in UK_WORDS for p in parts)


def _processor(v: SupplierView) -> bool:
    return any(c.get("data_role") == "processor" and (c.get("personal_data") or c.get("patient_data"))
               for c in v.current or v.contracts)


def _live_subprocessors(v: SupplierView) -> list[dict]:
    return [s for s in v.subprocessors if s.get("until") is None]


# Record checks: each returns (records making the statement's "bad" side hold, unknown records).
# Each is the concatenation of what every supplier's own records give, so what a supplier
# gives is kept on its view (`SupplierView.checks`): the dashboard keeps the views of the
# suppliers no change touched, and judges only the others again.

def _each(views, key, part, parts: int = 1) -> list[list]:
    """`part(v)` (a tuple of `parts` lists) for every view, kept on the view under `key`,
    joined list by list in the views' order."""
    joined: list[list] = [[] for _ in range(parts)]
    for v in views:
        got = v.checks.get(key)
        if got is None:
            got = v.checks[key] = part(v)
        if parts == 1:
            if got[0]:
                joined[0].extend(got[0])
            continue
        for into, found in zip(joined, got, strict=True):
            into.extend(found)
    return joined


def _data_unknown_of(v):
    if not v.current:
        return ([(v.name, "no current contract records what of our data it holds")],)
    bad = []
    for c in v.current:
        if (c.get("data_role") or "none") == "none":
            bad.append((v.name, f"contract '{c['title']}' records no data role"))
        if not (c.get("personal_data_types") or "").strip() or not (
                c.get("processing_nature_purpose") or "").strip():
            bad.append((v.name, f"contract '{c['title']}' has no processing particulars "
                                "(types of data, nature and purpose)"))
        if not (c.get("data_locations") or "").strip():
            bad.append((v.name, f"contract '{c['title']}' does not record where our data is held"))
    return (bad,)


def _data_unknown(scope):
    (bad,) = _each(scope, "data_unknown", _data_unknown_of)
    return bad, []


def _subcontractors_unseen_of(v):
    bad, unknown = [], []
    if not _processor(v):
        return bad, unknown
    subs = _live_subprocessors(v)
    if not subs:
        unknown.append((v.name, "processor with no sub-processors recorded (none, or not "
                                "recorded: the records can't tell)"))
    for s in subs:
        if not (s.get("location") or "").strip():
            bad.append((v.name, f"sub-processor {s['name']}: where it processes our data "
                                "is not recorded"))
    return bad, unknown


def _subcontractors_unseen(scope):
    bad, unknown = _each(scope, "subcontractors_unseen", _subcontractors_unseen_of, 2)
    return bad, unknown


def _contracts_lacking(scope, titles):
    def of(v):
        bad = [] if v.current else [(v.name, "no current contract")]
        for c in v.current:
            gaps = tuple(v.clause_gaps.get(c["id"]) or ())
            if gaps:
                bad.append((v.name, f"contract '{c['title']}' lacks: {_named(gaps, titles)}"))
        return (bad,)
    (bad,) = _each(scope, ("contracts_lacking", titles), of)
    return bad, []


def _named(gaps: tuple, titles) -> str:
    """The clause titles of a gap list (a portfolio repeats the same few: each named once)."""
    key = (gaps, titles)
    if key not in _NAMED:
        if len(_NAMED) > 4096:
            _NAMED.clear()
        _NAMED[key] = "; ".join(titles(k) for k in gaps)
    return _NAMED[key]


_NAMED: dict[tuple, str] = {}


def _access_unmonitored_of(v):
    bad = []
    for c in v.current:
        access = c.get("system_access") or "none"
        if access != "none" and not c.get("access_monitored"):
            bad.append((v.name, f"{access} access to our systems under '{c['title']}' "
                                "is not recorded as restricted and monitored"))
    return (bad,)


def _access_unmonitored(views):
    (bad,) = _each(views, "access_unmonitored", _access_unmonitored_of)
    return bad, []


def _transfer_problem(where: str, mechanism: str, tra: str) -> str | None:
    mechanism = mechanism or "unknown"
    if not where.strip():
        return "where our data is held is not recorded"
    if mechanism == "unknown":
        return f"data held in {where}: the transfer safeguard is not recorded"
    if is_uk(where) or mechanism == "uk":
        if not is_uk(where) and mechanism == "uk":
            return f"data held in {where} but recorded as staying in the UK"
        return None
    if mechanism == "none":
        return f"data held in {where} with no transfer safeguard"
    if mechanism in NEEDS_TRA and not tra.strip():
        return f"data held in {where} under an IDTA or the UK Addendum with no transfer risk assessment"
    if mechanism not in SAFEGUARDED:
        return f"data held in {where}: unrecognised safeguard '{mechanism}'"
    return None


def _transfers_unprotected_of(v):
    bad = [] if v.current else [(v.name, "no current contract records where our data is held")]
    for c in v.current:
        problem = _transfer_problem(c.get("data_locations") or "", c.get("transfer_mechanism"),
                                    c.get("tra_reference") or "")
        if problem:
            bad.append((v.name, f"'{c['title']}': {problem}"))
    for s in _live_subprocessors(v):
        problem = _transfer_problem(s.get("location") or "", s.get("transfer_mechanism"),
                                    s.get("tra_reference") or "")
        if problem:
            bad.append((v.name, f"sub-processor {s['name']}: {problem}"))
    return (bad,)


def _transfers_unprotected(scope):
    (bad,) = _each(scope, "transfers_unprotected", _transfers_unprotected_of)
    return bad, []


def _supply_chain_known(scope):
    (short,) = _each(scope, "no_current_contract",
                     lambda v: ([] if v.current else [(v.name, "no current contract")],))
    bad, unknown = _subcontractors_unseen(scope)
    return short + bad + unknown


def _suppliers_certified_of(v):
    if v.proportionate_certificates:
        return ([],)
    return ([(v.name, "no accepted certification (Cyber Essentials, ISO/IEC 27001, Digital "
                      "Marketplace listing or own DSPT)" if v.it else
              "non-IT supplier with no current certificate of its own trade's scheme (for "
              "example BS EN 15713 for confidential waste) or of a toolkit scheme")],)


def _suppliers_certified(scope):
    """Every in-scope supplier shows proportionate security: IT suppliers by a toolkit scheme,
    non-IT suppliers by a toolkit scheme or a current certificate of their own trade's."""
    return _each(scope, "suppliers_certified", _suppliers_certified_of)[0]


def _connections_assured(views):
    return _each(views, "connections_assured", lambda v: ([
        (v.name, f"third-party connection under '{c['title']}' is not assured")
        for c in v.current if c.get("third_party_connection") and not c.get("connection_assured")],
    ))[0]


def _incidents_open(views):
    return _each(views, "incidents_open", lambda v: ([
        (v.name, f"incident '{r['title']}' is open without an owner and a mitigation")
        for r in v.risks if r.get("kind") == "incident" and r.get("status") == "open"
        and not ((r.get("owner") or "").strip() and (r.get("mitigation") or "").strip())],
    ))[0]


def _essential_info_protected_of(v):
    short = []
    essential = [c for c in v.current if c.get("supports_essential_function")]
    if not essential:
        return (short,)
    if not v.national_certificates:
        short.append((v.name, "supports the essential function without an accepted certification"))
    for c in essential:
        if "art28.security_measures" in (v.clause_gaps.get(c["id"]) or []):
            short.append((v.name, f"'{c['title']}' lacks the security measures term"))
    return (short,)


def _essential_info_protected(views):
    return _each(views, "essential_info_protected", _essential_info_protected_of)[0]


def _critical_strong_of(v):
    if v.tier != "critical":
        return ([],)
    if not v.it:  # judged by its own trade's scheme, not by IT certificates
        if not v.proportionate_certificates:
            return ([(v.name, "critical non-IT supplier with no current certificate of "
                              "its own trade's scheme (for example BS EN 15713)")],)
        return ([],)
    held = set(v.national_certificates)
    strong = {"Cyber Essentials Plus", "ISO/IEC 27001"} & held
    if not strong or "own DSPT" not in held:
        return ([(v.name, "critical supplier without a current " + " and ".join(
            x for x, ok in (("Cyber Essentials Plus or ISO/IEC 27001", strong),
                            ("DSPT at Standards Met", "own DSPT" in held)) if not ok))],)
    return ([],)


def _critical_strong(views):
    return _each(views, "critical_strong", _critical_strong_of)[0]


# Checks over the suppliers that handle personal information; the others look at every
# supplier (access to our systems, connections, incidents, the essential function).
_OVER_SCOPE = {"data_unknown", "subcontractors_unseen", "contracts_lacking",
               "transfers_unprotected", "contracts_carry_terms", "supply_chain_known",
               "suppliers_certified"}
NOTHING_RECORDED = ("no supplier that handles personal information is recorded, so the records "
                    "can't show it")


def _from_records(check: str, views: list[SupplierView], titles, *,
                  scope: list[SupplierView] | None = None,
                  kept: dict | None = None) -> tuple[bool | None, list, str]:
    """(value, records, basis) of a records statement. With nothing on record to judge it by,
    the statement is unknown: no supplier recorded is not "every supplier meets it".
    `scope` is `in_scope(views)` already worked out; `kept` keeps the contract gaps between
    the two statements that read them."""
    scope = scope if scope is not None else in_scope(views)
    kept = kept if kept is not None else {}

    def lacking():  # the contract gaps, worked out once per evaluation
        if "contracts_lacking" not in kept:
            kept["contracts_lacking"] = _contracts_lacking(scope, titles)
        return kept["contracts_lacking"]

    if not views or (check in _OVER_SCOPE and not scope):
        return None, [], NOTHING_RECORDED
    if check in ("data_unknown", "subcontractors_unseen", "contracts_lacking", "access_unmonitored",
                 "transfers_unprotected"):
        if check == "contracts_lacking":
            bad, unknown = lacking()
        elif check == "access_unmonitored":
            bad, unknown = _access_unmonitored(views)
        else:
            bad, unknown = {"data_unknown": _data_unknown, "subcontractors_unseen": _subcontractors_unseen,
                            "transfers_unprotected": _transfers_unprotected}[check](scope)
        if bad:
            return True, bad + unknown, f"{len({n for n, _ in bad})} supplier(s) make it true"
        if unknown:
            return None, unknown, f"{len({n for n, _ in unknown})} supplier(s) leave it unknown"
        return False, [], "no supplier makes it true"
    if check == "contracts_carry_terms":
        bad, _ = lacking()
        short = bad
    elif check == "supply_chain_known":
        short = _supply_chain_known(scope)
    elif check == "suppliers_certified":
        short = _suppliers_certified(scope)
    elif check == "connections_assured":
        short = _connections_assured(views)
    elif check == "essential_info_protected":
        short = _essential_info_protected(views)
    elif check == "critical_suppliers_strong":
        short = _critical_strong(views)
    elif check == "connections_managed":
        short = _connections_assured(views) + _access_unmonitored(views)[0]
    elif check == "incidents_managed":
        short = _incidents_open(views)
    else:
        raise KeyError(f"unknown CAF check {check!r}")
    if short:
        return False, short, f"{len({n for n, _ in short})} supplier(s) fall short"
    return True, [], "every supplier concerned meets it"


def evaluate(outcome: Outcome, views: list[SupplierView],
             attestations: Mapping[str, Attested], *, clause_title=lambda key: key) -> Assessment:
    """Judge every statement and the outcome level; `attestations` by statement id."""
    results: list[Result] = []
    # Several statements read the same check (NA and PA sides of one fact): each is
    # worked out once per evaluation (15 passes over 10,000 suppliers were most of it).
    judged: dict[str, tuple[bool | None, list, str]] = {}
    scope, kept = in_scope(views), {}
    for s in outcome.statements:
        attested = attestations.get(s.id)
        if s.evidence == "attestation":
            if attested is None:
                results.append(Result(s, None, "not yet attested by the IG lead"))
            else:
                results.append(Result(s, attested.value, "attested by the IG lead",
                                      attestation=attested))
            continue
        if s.check not in judged:
            judged[s.check] = _from_records(s.check, views, clause_title, scope=scope, kept=kept)
        value, records, basis = judged[s.check]
        records = list(records)
        if s.evidence == "both":
            if attested is None:
                value, basis = (None if value else False), "not yet attested by the IG lead" + (
                    "" if value else f"; records: {basis}")
            elif not attested.value:
                value, basis = False, "the IG lead attests it is not so"
            else:
                basis = f"attested by the IG lead; records: {basis}"
        results.append(Result(s, value, basis, records, attestation=attested))
    level, reasons = level_of(results)
    return Assessment(outcome=outcome, results=results, level=level, reasons=reasons)


def level_of(results: list[Result]) -> tuple[str, list[str]]:
    """CAF logic over statement values (True / False / None)."""
    by_level: dict[str, list[Result]] = {"not_achieved": [], "partially_achieved": [], "achieved": []}
    for r in results:
        by_level[r.statement.level].append(r)
    holding = [r for r in by_level["not_achieved"] if r.value is True]
    # Unknown never counts as true: an unknown NA statement does not make the outcome not
    # achieved by itself (it is listed, and the action plan asks for it to be settled).
    open_ = [f"{r.statement.id} is unknown (not counted as true; to be settled)"
             for r in by_level["not_achieved"] if r.value is None]
    if holding:
        return "not_achieved", [f"{r.statement.id} is true" for r in holding] + open_
    none_holds = "no not-achieved statement is true" + (
        " (" + "; ".join(open_) + ")" if open_ else "")
    if all(r.value is True for r in by_level["achieved"]):
        return "achieved", [f"{none_holds} and every achieved statement is true"]
    if all(r.value is True for r in by_level["partially_achieved"]):
        missing = [r.statement.id for r in by_level["achieved"] if r.value is not True]
        return "partially_achieved", [
            f"{none_holds} and every partially-achieved statement is true",
            "achieved needs " + ", ".join(missing)]
    missing = [f"{r.statement.id} is {r.shown.lower()}" for r in by_level["partially_achieved"]
               if r.value is not True]
    return "not_achieved", [f"{none_holds}, but partially achieved needs every PA statement "
                            "true: " + ", ".join(missing)]
