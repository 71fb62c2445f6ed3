"""What the dashboard shows, computed from stored scores and a few indexed queries.

Scores are stored with their breakdown, so the portfolio view needs no recomputation.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from typing import Any

from models.tables import Assessment, AuditEvent, Contract, Supplier, SupplierScore
from portal.certifications.service import expiring
from portal.core.bulk import portfolio_work
from portal.core.db import id_in
from portal.core.organisation import get_organisation
from portal.notices import service as notices
from portal.reports import evidence, facts, frameworks, snapshot
from portal.scoring.rules import LABELS as SCHEME_LABELS
from questionnaires import states

OPEN = sorted(states.OPEN_FOR_ANSWERS)


def bar_chart(counts: list[tuple[str, int, str]], *, title: str) -> dict[str, Any]:
    """Geometry for a horizontal SVG bar chart, with its text alternative."""
    biggest = max((c for _, c, _ in counts), default=0) or 1
    bars = [{"label": label, "count": count, "colour": colour, "y": i * 34,
             "width": round(300 * count / biggest)} for i, (label, count, colour) in enumerate(counts)]
    alt = f"{title}: " + ", ".join(f"{label} {count}" for label, count, _ in counts) + "."
    return {"bars": bars, "height": len(bars) * 34, "alt": alt, "title": title}


async def overview(*, today: dt.date | None = None) -> dict[str, Any]:
    """The dashboard: portfolio counts, what expires soon, the questionnaire queues and
    standard 10 readiness, each from its own function."""
    today = today or dt.date.today()
    version = await data_version()
    # Kept per data version like the readiness: the two aggregates over every stored score
    # were most of a repeat view's time on PostgreSQL at 10,000 suppliers (~25 ms of 35).
    counts = await _cached((version, "portfolio"), portfolio_counts)
    return {**counts, **await expiring_soon(today, version=version),
            **await questionnaire_queues(today),
            **await standard10_readiness(today, version=version, gaps=counts["gap_tally"]),
            "today": today}


async def portfolio_counts() -> dict[str, Any]:
    """Suppliers by rating and tier in one aggregate query over the stored scores (the
    portfolio is never loaded into Python for this)."""
    rows = await Supplier.raw(
        "SELECT sc.rating AS rating, sc.tier AS tier, COUNT(*) AS n, "
        "SUM(CASE WHEN sc.contract_gap THEN 1 ELSE 0 END) AS gaps, "
        "SUM(CASE WHEN sc.supplier IS NOT NULL AND sc.contract_gap IS NULL THEN 1 ELSE 0 END) "
        "AS unflagged FROM supplier s "
        "LEFT JOIN supplier_score sc ON sc.supplier = s.id WHERE s.archived_at IS NULL "
        "GROUP BY sc.rating, sc.tier")
    gaps = Counter()
    for row in rows:
        if row["tier"] in GAP_TIERS:  # clause gaps are counted where the tier asks for clauses
            gaps["gaps"] += row["gaps"] or 0
            gaps["unflagged"] += row["unflagged"] or 0
    ratings: Counter = Counter()
    tiers: Counter = Counter()
    for row in rows:
        if row["rating"] is not None:
            ratings[row["rating"]] += row["n"]
            tiers[row["tier"]] += row["n"]
    ratings, tiers = dict(ratings), dict(tiers)
    return {
        "total": sum(row["n"] for row in rows), "ratings": ratings, "tiers": tiers,
        "gap_tally": dict(gaps),
        "rating_chart": bar_chart([("Green", ratings.get("green", 0), "#007f3b"),
                                   ("Amber", ratings.get("amber", 0), "#ffb81c"),
                                   ("Red", ratings.get("red", 0), "#d5281b")],
                                  title="Suppliers by rating"),
        "tier_chart": bar_chart([("Critical", tiers.get("critical", 0), "#330072"),
                                 ("Elevated", tiers.get("elevated", 0), "#005eb8"),
                                 ("Baseline", tiers.get("baseline", 0), "#768692")],
                                title="Suppliers by tier"),
    }


async def expiring_soon(today: dt.date, *, version: tuple | None = None) -> dict[str, Any]:
    """How many certificates and contracts end in the next 30, 60 and 90 days, and the soonest
    of each (the supplier list, filtered by date, has the rest). Certificates are judged by
    the validity rules (their effective expiry) on the rows that can expire in the window only;
    contracts are counted by the database. Kept per data version, like the readiness."""
    key = (version or await data_version(), today, "expiring")
    return await _cached(key, lambda: _expiring_soon(today))


async def _expiring_soon(today: dt.date) -> dict[str, Any]:
    certs = await expiring(days=90, today=today, brief=True)
    shown = certs[:EXPIRING_SHOWN]
    names = {}
    if shown:
        names = {s["id"]: s["name"] for s in await Supplier.select(Supplier.id, Supplier.name)
                 .where(id_in(Supplier.id, list({c["supplier"] for c in shown})))}
    for cert in shown:
        cert["supplier_name"] = names.get(cert["supplier"], "")
        cert["scheme_label"] = SCHEME_LABELS.get(cert["scheme"], cert.get("scheme_name") or "Certificate")
    ending = Contract.archived_at.is_null() & (Contract.end_date >= today) \
        & (Contract.end_date <= today + dt.timedelta(days=90))
    contracts = await Contract.select(
        Contract.id, Contract.title, Contract.end_date, Contract.supplier,
        Contract.supplier.name.as_alias("supplier_name")).where(ending).order_by(
        Contract.end_date).order_by(Contract.id).limit(EXPIRING_SHOWN)
    counted = (await Contract.raw(_CONTRACT_WINDOWS_SQL, *[
        today + dt.timedelta(days=days) for days in WINDOWS], today))[0]
    contract_counts = {days: counted[f"d{days}"] or 0 for days in WINDOWS}
    cert_counts = {days: sum(1 for c in certs if (c["expires_on"] - today).days <= days)
                   for days in (30, 60, 90)}
    return {"cert_counts": cert_counts, "contract_counts": contract_counts,
            "certs_soonest": shown, "contracts_soonest": contracts,
            "expiring_until": today + dt.timedelta(days=90)}


async def questionnaire_queues(today: dt.date) -> dict[str, Any]:
    overdue = await Assessment.select(
        Assessment.id, Assessment.status, Assessment.due_date,
        Assessment.supplier.name.as_alias("supplier_name"),
        Assessment.definition.title.as_alias("questionnaire")).where(
        Assessment.status.is_in(OPEN) & (Assessment.due_date < today)).order_by(Assessment.due_date)
    awaiting = await Assessment.select(
        Assessment.id, Assessment.status, Assessment.submitted_at,
        Assessment.supplier.name.as_alias("supplier_name"),
        Assessment.definition.title.as_alias("questionnaire")).where(
        Assessment.status.is_in(sorted(states.AWAITING_REVIEW))).order_by(
        Assessment.submitted_at)
    return {"overdue": overdue, "awaiting": awaiting}


WINDOWS = (30, 60, 90)
# contracts ending within each window, in one pass (the dates are bound values)
_WINDOW_SUMS = ", ".join(f"SUM(CASE WHEN end_date <= {{}} THEN 1 ELSE 0 END) AS d{days}"
                         for days in WINDOWS)
_CONTRACT_WINDOWS_SQL = f"SELECT {_WINDOW_SUMS} FROM contract WHERE archived_at IS NULL AND end_date >= {{}}"  # noqa: S608, E501
CLAUSE_GAPS_SHOWN = 15
GAP_TIERS = ("critical", "elevated")
EXPIRING_SHOWN = 10


def _contracted_unmet(breakdown) -> dict | None:
    """A stored breakdown's 'contracted' criterion when it is not met."""
    parsed = json.loads(breakdown) if isinstance(breakdown, str) else breakdown
    for criterion in (parsed or {}).get("criteria", []):
        if criterion["key"] == "contracted" and not criterion["met"]:
            return criterion
    return None


async def standard10_readiness(today: dt.date, *, version: tuple | None = None,
                               gaps: dict[str, int] | None = None) -> dict[str, Any]:
    """DSPT readiness (the evidence pack's own evaluation, for the organisation's category and
    the live toolkit year, so that the dashboard and the pack can't disagree) and the clause
    gaps from the stored breakdowns of suppliers that handle personal data."""
    version = version or await data_version()
    counted = gaps if gaps is not None else \
        (await _cached((version, "portfolio"), portfolio_counts))["gap_tally"]
    gap_count, clause_gaps = await _cached((version, "clause_gaps"),
                                           lambda: _clause_gaps(counted))
    year = frameworks.live_year()
    evaluated = await cached_evaluation(year=year, today=today, version=version)
    readiness = [{"ref": line.ref, "text": line.text, "answer": line.answer, "figure": line.figure,
                  "ok": line.ok, "mandatory": line.mandatory, "why": line.why}
                 for line in evaluated.lines]
    return {"clause_gaps": clause_gaps, "clause_gap_count": gap_count,
            "readiness": readiness, "ready_items": sum(1 for r in readiness if r["ok"]),
            "readiness_year": year, "readiness_headline": evaluated.headline,
            "readiness_framework": evaluated.view.label, "readiness_caf": evaluated.caf is not None,
            "notices": await notices.list_notices(open_only=True)}


async def _clause_gaps(counted: dict[str, int]) -> tuple[int, list[dict[str, Any]]]:
    """How many in-scope suppliers have a contract gap, and the first few by name with their
    reasons. Counted from the flag each rescoring keeps (one query), with the reasons read
    from the breakdowns of only the rows shown; a row not rescored since the flag came (NULL)
    is read from its breakdown until the next rescoring writes it."""
    in_scope = SupplierScore.supplier.archived_at.is_null() & SupplierScore.tier.is_in(
        list(GAP_TIERS))
    columns = (SupplierScore.supplier, SupplierScore.breakdown, SupplierScore.contract_gap,
               SupplierScore.supplier.name.as_alias("supplier_name"))
    gap_count = counted.get("gaps", 0)
    shown = await SupplierScore.select(*columns).where(
        in_scope & (SupplierScore.contract_gap == True)).order_by(  # noqa: E712
        SupplierScore.supplier.name).limit(CLAUSE_GAPS_SHOWN)
    unflagged = await SupplierScore.select(*columns).where(
        in_scope & SupplierScore.contract_gap.is_null()) if counted.get("unflagged") else []
    clause_gaps = []
    for row in [*shown, *unflagged]:
        criterion = _contracted_unmet(row["breakdown"])
        if criterion is None:
            continue
        if row["contract_gap"] is None:
            gap_count += 1
        clause_gaps.append({"supplier_id": row["supplier"], "supplier_name": row["supplier_name"],
                            "reasons": [r for r in criterion["reasons"] if "missing" in r
                                        or "partly" in r][:2] or criterion["reasons"][:1]})
    clause_gaps.sort(key=lambda g: g["supplier_name"])
    return gap_count, clause_gaps[:CLAUSE_GAPS_SHOWN]


# The readiness evaluation and what expires soon, cached per process and per data version. Every change to the data
# writes an audit event in its own transaction, so the newest event (its id and time: ids can
# come back after a rolled-back transaction on SQLite) names the version of the data; the day,
# the toolkit year and the organisation's category complete the key. A short lifetime bounds
# what a PostgreSQL transaction that took a lower id but committed later could leave stale.
_EVALUATIONS: dict[tuple, tuple[float, Any]] = {}
_LIFETIME_S = 300.0
_KEEP = 16  # a few data versions of the 4 kinds of entry


async def data_version() -> tuple:
    """The newest audit event's id and time: one read of the primary key's index."""
    row = await AuditEvent.select(AuditEvent.id, AuditEvent.occurred_at).order_by(
        AuditEvent.id, ascending=False).first()
    return (row["id"], str(row["occurred_at"])) if row else (0, "")


async def cached_evaluation(*, year: str, today: dt.date, version: tuple | None = None):
    """The evidence pack's evaluation for the dashboard, computed once per data version."""
    organisation = await get_organisation()
    version = version or await data_version()
    key = (version, today, year, evidence.category_of(organisation))

    async def compute():  # across the portfolio: the collector held back (portal.core.bulk)
        with portfolio_work():
            data, views = await live_portfolio(today, version)
            return await evidence.evaluate(toolkit=year, today=today, organisation=organisation,
                                           data=data, suppliers=views)
    return await _cached(key, compute)


# Today's portfolio and its supplier views, kept from the last evaluation: after a change,
# the suppliers the new audit events name are read and built again and the rest are kept
# (at 10,000 suppliers reading every record was 0.7 s and building the views 0.5 s of the
# first view after each change). Any new event naming no supplier (the organisation, a
# portfolio rescoring, a register import, a sign-in), too many at once, a supplier no event
# named, or a base older than _LIFETIME_S means reading everything again. Events commit out
# of id order on PostgreSQL (an id is taken when the event is written, before the change's
# rescoring, and the transaction commits later): the ids of the last _SLACK events below the
# kept one are remembered, and one among them not seen then is a new event like any other;
# a later commit further back waits for the base's lifetime.
_LIVE: dict[dt.date, dict[str, Any]] = {}
_PATCH_MOST = 200  # suppliers named since the kept portfolio; more, and it is read whole
_SLACK = 200  # ids below the kept newest one whose events are remembered


async def live_portfolio(today: dt.date, version: tuple) -> tuple[dict[str, Any], list]:
    live = _LIVE.get(today)
    if live is not None and time.monotonic() - live["at"] >= _LIFETIME_S:
        live = None  # too old to patch: read everything again
    if live is not None and live["version"] == version:
        return live["data"], live["views"]
    # the events already committed: the records read below include their changes
    seen = {r["id"] for r in await AuditEvent.select(AuditEvent.id).where(
        (AuditEvent.id > version[0] - _SLACK) & (AuditEvent.id <= version[0]))}
    changed = None
    if live is not None and version[0] > live["version"][0]:
        changed = await _suppliers_named(after=live["version"][0], upto=version[0],
                                         seen=live["seen"])
    data = None
    if changed is not None and not changed:  # every event since was seen already
        data, views, at = live["data"], live["views"], live["at"]
    elif changed:
        data = await snapshot.refreshed(live["data"], changed)
        if data is not None:
            rebuilt = {v.id: v for v in facts.build(_only(data, changed), today)}
            kept = {v.id: v for v in live["views"]}
            views = [rebuilt.get(s["id"]) or kept[s["id"]] for s in data["suppliers"]]
            at = live["at"]  # the age of the last whole read
    if data is None:
        data = await snapshot.portfolio(None, breakdowns=False)
        views, at = facts.build(data, today), time.monotonic()
    _LIVE.clear()
    _LIVE[today] = {"version": version, "at": at, "data": data, "views": views, "seen": seen}
    return data, views


async def _suppliers_named(*, after: int, upto: int, seen: set[int]) -> set[int] | None:
    """The suppliers the events not yet seen (after `after`, or among the remembered ids
    below it) name, or None when one of them names none or too many are named to read
    them one by one."""
    rows = await AuditEvent.select(AuditEvent.id, AuditEvent.supplier_id).where(
        (AuditEvent.id > after - _SLACK) & (AuditEvent.id <= upto)).limit(
        _PATCH_MOST + _SLACK + 1)
    if len(rows) > _PATCH_MOST + _SLACK:
        return None
    named = set()
    for row in rows:
        if row["id"] in seen:
            continue
        if row["supplier_id"] is None:
            return None
        named.add(row["supplier_id"])
    return named if len(named) <= _PATCH_MOST else None


def _only(data: dict[str, Any], supplier_ids: set[int]) -> dict[str, Any]:
    """A portfolio of those suppliers' records alone (their contracts' clauses included)."""
    out = {key: [r for r in data[key] if r["supplier"] in supplier_ids]
           for key in snapshot.BY_SUPPLIER}
    out["suppliers"] = [s for s in data["suppliers"] if s["id"] in supplier_ids]
    contracts = {c["id"] for c in out["contracts"]}
    out["clauses"] = [r for r in data["clauses"] if r["contract"] in contracts]
    return out


async def _cached(key: tuple, compute):
    """What `compute()` gives, kept under `key` (which starts with the data version)."""
    hit = _EVALUATIONS.get(key)
    if hit is not None and time.monotonic() - hit[0] < _LIFETIME_S:
        return hit[1]
    value = await compute()
    if len(_EVALUATIONS) >= _KEEP:
        # Older data versions go first: clearing everything here dropped what this same
        # view had just kept, so the next view computed it again (seen as a flaky count).
        for old in [k for k in _EVALUATIONS if k[0] != key[0]]:
            del _EVALUATIONS[old]
        if len(_EVALUATIONS) >= _KEEP:
            _EVALUATIONS.clear()
    _EVALUATIONS[key] = (time.monotonic(), value)
    return value
