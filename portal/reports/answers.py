"""Standard 10 items answered the way the toolkit asks: Yes or No (never "partially"), with the
suppliers behind a No and what would fix each.

Plain Python over facts.SupplierView (no framework imports). The pack and the staff dashboard
both call `answer_items`, so they can't disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from portal.reports.facts import SupplierView, in_scope
from portal.reports.frameworks import Item

DUE_DILIGENCE_DAYS = 365
SCOPE_ALL = ("Every supplier that handles personal information, on the supplier record or on "
             "any of its contracts (ended ones included), whether or not it has a current contract.")


@dataclass(frozen=True)
class Gap:
    supplier_id: int
    supplier: str
    what: str  # what is missing, in words
    fix: str  # what would close it
    fix_kind: str  # contract, register, certificate, assessment, risk
    tier: str = ""


@dataclass
class Answer:
    item: Item
    answer: str  # "Yes" or "No" (yes_no items); text items carry the same figure as text
    met: int
    of: int
    rule: str  # which suppliers were counted and why
    figure: str
    gaps: list[Gap] = field(default_factory=list)
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (supplier, what shows it)

    @property
    def yes(self) -> bool:
        return self.answer == "Yes"


def _register(v: SupplierView) -> list[tuple[str, str]]:
    missing = []
    if not v.current:
        missing.append(("no current contract (an ended or missing contract has no duration "
                        "to list)", "Record the current contract with its start and end dates."))
    elif any(c.get("start_date") is None or c.get("end_date") is None for c in v.current):
        missing.append(("a current contract has no start or end date",
                        "Record the start and end dates of each current contract."))
    if not v.contacts:
        missing.append(("no contact recorded", "Record a contact for the supplier."))
    if not v.products:
        missing.append(("no product or service recorded",
                        "Record the products and services the supplier delivers."))
    return missing


def _contracts(v: SupplierView, titles) -> list[tuple[str, str]]:
    if not v.current:
        return [("no current contract while it handles personal information",
                 "Put a contract with the data protection terms in place.")]
    out = []
    for c in v.current:
        gaps = v.clause_gaps.get(c["id"]) or []
        if gaps:
            out.append((f"contract '{c['title']}' lacks: " + "; ".join(titles(k) for k in gaps),
                        "Agree the missing terms as a contract variation (missing-clause schedule)."))
    return out


def _certification(v: SupplierView) -> list[tuple[str, str]]:
    if v.national_certificates:
        return []
    return [("no current Cyber Essentials, ISO/IEC 27001, Digital Marketplace listing or own "
             "DSPT at Standards Met", "Obtain and record a current certificate (any one of those).")]


def _due_diligence(v: SupplierView, today: dt.date) -> list[tuple[str, str]]:
    window = today - dt.timedelta(days=DUE_DILIGENCE_DAYS)
    for a in v.assessments:
        decided = a.get("decided_at")
        if a.get("status") == "accepted" and decided and decided.date() >= window:
            return []
    return [("no due diligence assessment accepted in the last 12 months",
             "Send the due diligence questionnaire and review it.")]


def _disputes(v: SupplierView) -> list[tuple[str, str]]:
    return [(f"dispute '{r['title']}' has no data-security risk recorded",
             "Record the data-security risk the dispute poses.")
            for r in v.risks if r.get("kind") == "dispute"
            and not (r.get("data_security_risk") or "").strip()]


def answer_item(item: Item, views: list[SupplierView], *, today: dt.date,
                clause_title=lambda key: key) -> Answer:
    scope = in_scope(views)
    recorded = bool(scope)  # any supplier handling personal information on record at all
    rule = SCOPE_ALL
    if item.scope == "it_suppliers":
        excluded = [v for v in scope if not v.it]
        scope = [v for v in scope if v.it]
        rule = f"{SCOPE_ALL} {item.scope_rule}" + (
            f" Left out here: {', '.join(v.name for v in excluded)}." if excluded else "")
    gaps: list[Gap] = []
    evidence: list[tuple[str, str]] = []
    kinds = {"register": "register", "contracts": "contract", "certification": "certificate",
             "due_diligence": "assessment", "disputes": "risk"}
    if item.measure == "disputes":
        scope = [v for v in scope if any(r.get("kind") == "dispute" for r in v.risks)]
        rule = "Every supplier with a recorded dispute."
    met = 0
    for v in scope:
        if item.measure == "register":
            missing = _register(v)
        elif item.measure == "contracts":
            missing = _contracts(v, clause_title)
        elif item.measure == "certification":
            missing = _certification(v)
        elif item.measure == "due_diligence":
            missing = _due_diligence(v, today)
        else:
            missing = _disputes(v)
        if missing:
            gaps.extend(Gap(v.id, v.name, what, fix, kinds[item.measure], v.tier)
                        for what, fix in missing)
        else:
            met += 1
            if item.measure == "certification":
                evidence.append((v.name, ", ".join(v.national_certificates)))
    total = len(scope)
    # With no supplier on record the organisation can't show a list, certificates or
    # contracts: No, not a vacuous Yes. (A disputes item with no dispute is a true Yes.)
    answer = "Yes" if met == total and (recorded or item.measure == "disputes") else "No"
    nouns = {"register": "listed with products, a contact and current contract dates",
             "contracts": "covered by a current contract with every required term",
             "certification": "holding an accepted certification",
             "due_diligence": "with due diligence accepted in the last 12 months",
             "disputes": "with every dispute's data-security risk recorded"}
    figure = (f"{met} of {total} suppliers {nouns[item.measure]}." if total
              else "No supplier falls under this item." if recorded or item.measure == "disputes"
              else "No supplier that handles personal information is recorded.")
    return Answer(item=item, answer=answer, met=met, of=total, rule=rule, figure=figure,
                  gaps=gaps, evidence=evidence)


def answer_items(items, views: list[SupplierView], *, today: dt.date,
                 clause_title=lambda key: key) -> list[Answer]:
    return [answer_item(i, views, today=today, clause_title=clause_title) for i in items]


def local_bar(views: list[SupplierView]) -> tuple[int, int, list[tuple[str, str]]]:
    """The organisation's stricter certification bar by tier (the stored score's 'certified'
    criterion), shown beside 10.2.1, never in its place: (met, of, shortfalls)."""
    scope = [v for v in in_scope(views) if v.it]
    short = []
    met = 0
    for v in scope:
        criterion = v.criterion("certified")
        if criterion and criterion.get("met"):
            met += 1
        else:
            why = (criterion or {}).get("fixes") or (criterion or {}).get("reasons") or ["not scored yet"]
            short.append((v.name, f"{(v.tier or 'not scored yet').capitalize()} tier: {why[0]}"))
    return met, len(scope), short
