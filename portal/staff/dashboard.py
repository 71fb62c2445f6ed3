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
from portal.core.organisation import get_organisation
from portal.notices import service as notices
from portal.reports import evidence, frameworks
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
    return {**await portfolio_counts(), **await expiring_soon(today),
            **await questionnaire_queues(today), **await standard10_readiness(today), "today": today}


async def portfolio_counts() -> dict[str, Any]:
    """Suppliers by rating and tier in one aggregate query over the stored scores (the
    portfolio is never loaded into Python for this)."""
    rows = await Supplier.raw(
        "SELECT sc.rating AS rating, sc.tier AS tier, COUNT(*) AS n FROM supplier s "
        "LEFT JOIN supplier_score sc ON sc.supplier = s.id WHERE s.archived_at IS NULL "
        "GROUP BY sc.rating, sc.tier")
    ratings: Counter = Counter()
    tiers: Counter = Counter()
    for row in rows:
        if row["rating"] is not None:
            ratings[row["rating"]] += row["n"]
            tiers[row["tier"]] += row["n"]
    ratings, tiers = dict(ratings), dict(tiers)
    return {
        "total": sum(row["n"] for row in rows), "ratings": ratings, "tiers": tiers,
        "rating_chart": bar_chart([("Green", ratings.get("green", 0), "#007f3b"),
                                   ("Amber", ratings.get("amber", 0), "#ffb81c"),
                                   ("Red", ratings.get("red", 0), "#d5281b")],
                                  title="Suppliers by rating"),
        "tier_chart": bar_chart([("Critical", tiers.get("critical", 0), "#330072"),
                                 ("Elevated", tiers.get("elevated", 0), "#005eb8"),
                                 ("Baseline", tiers.get("baseline", 0), "#768692")],
                                title="Suppliers by tier"),
    }


async def expiring_soon(today: dt.date) -> dict[str, Any]:
    """Certificates and contracts ending in the next 30, 60 and 90 days."""
    certs = await expiring(days=90, today=today)
    names = {}
    supplier_ids = {c["supplier"] for c in certs}
    contracts = await Contract.select(
        Contract.id, Contract.title, Contract.end_date, Contract.supplier,
        Contract.supplier.name.as_alias("supplier_name")).where(
        Contract.archived_at.is_null() & (Contract.end_date >= today)
        & (Contract.end_date <= today + dt.timedelta(days=90))).order_by(Contract.end_date)
    if supplier_ids:
        names = {s["id"]: s["name"] for s in await Supplier.select(Supplier.id, Supplier.name)
                 .where(Supplier.id.is_in(list(supplier_ids)))}
    for cert in certs:
        cert["supplier_name"] = names.get(cert["supplier"], "")

    def window(rows, key):
        return {days: [r for r in rows if (r[key] - today).days <= days] for days in (30, 60, 90)}

    return {"certs": window(certs, "expires_on"), "contracts": window(contracts, "end_date")}


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


async def standard10_readiness(today: dt.date) -> dict[str, Any]:
    """DSPT readiness (the evidence pack's own evaluation, for the organisation's category and
    the live toolkit year, so that the dashboard and the pack can't disagree) and the clause
    gaps from the stored breakdowns of suppliers that handle personal data."""
    scored = await SupplierScore.select(
        SupplierScore.supplier, SupplierScore.breakdown, SupplierScore.rating,
        SupplierScore.supplier.name.as_alias("supplier_name")).where(
        SupplierScore.supplier.archived_at.is_null() & SupplierScore.tier.is_in(["critical", "elevated"]))
    clause_gaps = []
    for row in scored:
        breakdown = json.loads(row["breakdown"]) if isinstance(row["breakdown"], str) else row["breakdown"]
        for criterion in breakdown.get("criteria", []):
            if criterion["key"] == "contracted" and not criterion["met"]:
                clause_gaps.append({"supplier_id": row["supplier"], "supplier_name": row["supplier_name"],
                                    "reasons": [r for r in criterion["reasons"] if "missing" in r
                                                or "partly" in r][:2] or criterion["reasons"][:1]})
    year = frameworks.live_year()
    evaluated = await cached_evaluation(year=year, today=today)
    readiness = [{"ref": line.ref, "text": line.text, "answer": line.answer, "figure": line.figure,
                  "ok": line.ok, "mandatory": line.mandatory, "why": line.why}
                 for line in evaluated.lines]
    return {"clause_gaps": clause_gaps[:15], "clause_gap_count": len(clause_gaps),
            "readiness": readiness, "ready_items": sum(1 for r in readiness if r["ok"]),
            "readiness_year": year, "readiness_headline": evaluated.headline,
            "readiness_framework": evaluated.view.label, "readiness_caf": evaluated.caf is not None,
            "notices": await notices.list_notices(open_only=True)}


# The readiness evaluation, cached per process and per data version. Every change to the data
# writes an audit event in its own transaction, so the newest event (its id and time: ids can
# come back after a rolled-back transaction on SQLite) names the version of the data; the day,
# the toolkit year and the organisation's category complete the key. A short lifetime bounds
# what a PostgreSQL transaction that took a lower id but committed later could leave stale.
_EVALUATIONS: dict[tuple, tuple[float, Any]] = {}
_LIFETIME_S = 300.0
_KEEP = 8


async def data_version() -> tuple:
    """The newest audit event's id and time: one read of the primary key's index."""
    row = await AuditEvent.select(AuditEvent.id, AuditEvent.occurred_at).order_by(
        AuditEvent.id, ascending=False).first()
    return (row["id"], str(row["occurred_at"])) if row else (0, "")


async def cached_evaluation(*, year: str, today: dt.date):
    """The evidence pack's evaluation for the dashboard, computed once per data version."""
    organisation = await get_organisation()
    key = (await data_version(), today, year, evidence.category_of(organisation))
    hit = _EVALUATIONS.get(key)
    if hit is not None and time.monotonic() - hit[0] < _LIFETIME_S:
        return hit[1]
    evaluated = await evidence.evaluate(toolkit=year, today=today, organisation=organisation)
    if len(_EVALUATIONS) >= _KEEP:
        _EVALUATIONS.clear()
    _EVALUATIONS[key] = (time.monotonic(), evaluated)
    return evaluated
