"""What the dashboard shows, computed from stored scores and a few indexed queries.

Scores are stored with their breakdown, so the portfolio view needs no recomputation.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

from piccolo.query.functions.aggregate import Count

from models.tables import Assessment, Contract, Supplier, SupplierScore
from portal.certifications.service import expiring
from portal.notices import service as notices
from questionnaires import states

READINESS = [
    ("10.1", "known", "Suppliers handling personal data are recorded with products, contacts "
                      "and contract dates"),
    ("10.2.1", "certified", "Suppliers hold the certification their tier needs"),
    ("10.2.2", "contracted", "Contracts carry the Article 28 and NHS terms they need"),
    ("10.2", "due_diligence", "An accepted due diligence assessment in the last 12 months"),
    ("10.3", "risks", "Risks and disputes are owned and recorded with their data-security risk"),
]
OPEN = sorted(states.OPEN_FOR_ANSWERS)


def bar_chart(counts: list[tuple[str, int, str]], *, title: str) -> dict[str, Any]:
    """Geometry for a horizontal SVG bar chart, with its text alternative."""
    biggest = max((c for _, c, _ in counts), default=0) or 1
    bars = [{"label": label, "count": count, "colour": colour, "y": i * 34,
             "width": round(300 * count / biggest)} for i, (label, count, colour) in enumerate(counts)]
    alt = f"{title}: " + ", ".join(f"{label} {count}" for label, count, _ in counts) + "."
    return {"bars": bars, "height": len(bars) * 34, "alt": alt, "title": title}


async def overview(*, today: dt.date | None = None) -> dict[str, Any]:
    today = today or dt.date.today()
    active = Supplier.archived_at.is_null()
    total = await Supplier.count().where(active)
    ratings = {r["rating"]: r["count"] for r in await SupplierScore.select(
        SupplierScore.rating, Count()).where(SupplierScore.supplier.archived_at.is_null())
        .group_by(SupplierScore.rating)}
    tiers = {r["tier"]: r["count"] for r in await SupplierScore.select(
        SupplierScore.tier, Count()).where(SupplierScore.supplier.archived_at.is_null())
        .group_by(SupplierScore.tier)}

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

    # Readiness and clause gaps come from the stored breakdowns of suppliers that handle
    # personal data (the ones standard 10 is about).
    scored = await SupplierScore.select(
        SupplierScore.supplier, SupplierScore.breakdown, SupplierScore.rating,
        SupplierScore.supplier.name.as_alias("supplier_name")).where(
        SupplierScore.supplier.archived_at.is_null() & SupplierScore.tier.is_in(["critical", "elevated"]))
    met, reasons = Counter(), {key: Counter() for _, key, _ in READINESS}
    clause_gaps = []
    for row in scored:
        breakdown = json.loads(row["breakdown"]) if isinstance(row["breakdown"], str) else row["breakdown"]
        for criterion in breakdown.get("criteria", []):
            if criterion["met"]:
                met[criterion["key"]] += 1
            elif criterion["key"] in reasons:
                # The first fix names the shortfall; reasons also list what is fine.
                why = (criterion.get("fixes") or criterion["reasons"] or ["unknown"])[0]
                reasons[criterion["key"]][_reason_kind(why)] += 1
            if criterion["key"] == "contracted" and not criterion["met"]:
                clause_gaps.append({"supplier_id": row["supplier"], "supplier_name": row["supplier_name"],
                                    "reasons": [r for r in criterion["reasons"] if "missing" in r
                                                or "partly" in r][:2] or criterion["reasons"][:1]})
    in_scope = len(scored)
    readiness = []
    for ref, key, text in READINESS:
        done = met[key]
        verdict = "yes" if in_scope and done == in_scope else ("partly" if done else "no")
        if not in_scope:
            verdict = "yes"
        readiness.append({"ref": ref, "text": text, "met": done, "of": in_scope, "verdict": verdict,
                          "why": [f"{count} supplier(s): {reason}"
                                  for reason, count in reasons[key].most_common(3)]})
    ready_items = sum(1 for r in readiness if r["verdict"] == "yes")
    return {
        "total": total, "ratings": ratings, "tiers": tiers,
        "rating_chart": bar_chart([("Green", ratings.get("green", 0), "#007f3b"),
                                   ("Amber", ratings.get("amber", 0), "#ffb81c"),
                                   ("Red", ratings.get("red", 0), "#d5281b")],
                                  title="Suppliers by rating"),
        "tier_chart": bar_chart([("Critical", tiers.get("critical", 0), "#330072"),
                                 ("Elevated", tiers.get("elevated", 0), "#005eb8"),
                                 ("Baseline", tiers.get("baseline", 0), "#768692")],
                                title="Suppliers by tier"),
        "certs": window(certs, "expires_on"), "contracts": window(contracts, "end_date"),
        "overdue": overdue, "awaiting": awaiting,
        "notices": await notices.list_notices(open_only=True),
        "clause_gaps": clause_gaps[:15], "clause_gap_count": len(clause_gaps),
        "readiness": readiness, "ready_items": ready_items, "today": today,
    }


# How the dashboard groups the first fix (or reason) of each unmet criterion into one line.
_REASON_GROUPS: list[tuple[str, str]] = [
    ("Add to ", "contracts missing required clauses"),
    ("Obtain evidence of a current DSPT", "no current DSPT at Standards Met or above"),
    ("Obtain a current Cyber Essentials Plus or ISO", "no current Cyber Essentials Plus or ISO/IEC 27001"),
    ("Obtain a current", "no current certification"),
    ("Send this year", "last accepted assessment is over 12 months old"),
    ("Send the due diligence", "no due diligence questionnaire accepted"),
    ("Chase the supplier", "questionnaire in progress, not yet accepted"),
    ("Follow up the answers", "accepted assessment, but some answers fall short"),
    ("Give each open high risk", "open high risks without an owner and mitigation"),
    ("Record the data-security risk", "disputes without their data-security risk"),
]
_CONTAINS_GROUPS: list[tuple[str, str]] = [
    ("only partly", "contract terms only partly in place"),
    ("No current contract", "no current contract recorded"),
    ("No certification", "no certification recorded"),
]


def _reason_kind(reason: str) -> str:
    for prefix, label in _REASON_GROUPS:
        if reason.startswith(prefix):
            return label
    for fragment, label in _CONTAINS_GROUPS:
        if fragment in reason:
            return label
    return reason.rstrip(".")[:120]
