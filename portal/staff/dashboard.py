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

READINESS = [
    ("10.1", "known", "Suppliers handling personal data are recorded with products, contacts "
                      "and contract dates"),
    ("10.2.1", "certified", "Suppliers hold the certification their tier needs"),
    ("10.2.2", "contracted", "Contracts carry the Article 28 and NHS terms they need"),
    ("10.2", "due_diligence", "An accepted due diligence assessment in the last 12 months"),
    ("10.3", "risks", "Risks and disputes are owned and recorded with their data-security risk"),
]
OPEN = ["sent", "opened", "in_progress", "clarification_requested"]


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
        Assessment.status.is_in(["submitted", "resubmitted", "in_review"])).order_by(
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
        "clause_gaps": clause_gaps[:15], "clause_gap_count": len(clause_gaps),
        "readiness": readiness, "ready_items": ready_items, "today": today,
    }


def _reason_kind(reason: str) -> str:
    """Group similar reasons and fixes ("Add to 'EPR': …") into one line for the summary."""
    if reason.startswith("Add to "):
        return "contracts missing required clauses"
    if reason.startswith("Obtain evidence of a current DSPT"):
        return "no current DSPT at Standards Met or above"
    if reason.startswith("Obtain a current Cyber Essentials Plus or ISO"):
        return "no current Cyber Essentials Plus or ISO/IEC 27001"
    if reason.startswith("Obtain a current"):
        return "no current certification"
    if reason.startswith("Send this year"):
        return "last accepted assessment is over 12 months old"
    if reason.startswith("Send the due diligence"):
        return "no due diligence questionnaire accepted"
    if reason.startswith("Chase the supplier"):
        return "questionnaire in progress, not yet accepted"
    if reason.startswith("Follow up the answers"):
        return "accepted assessment, but some answers fall short"
    if reason.startswith("Give each open high risk"):
        return "open high risks without an owner and mitigation"
    if reason.startswith("Record the data-security risk"):
        return "disputes without their data-security risk"
    if reason.startswith(("Record the supplier's legal name", "Add a named contact",
                          "List the products", "Record the contract", "Add the missing contract")):
        return reason.rstrip(".").lower()
    if "is missing" in reason and "required clause" in reason:
        return "contracts missing required clauses"
    if "only partly" in reason:
        return "contract terms only partly in place"
    if reason.startswith("No current contract"):
        return "no current contract recorded"
    if "more than 12 months" in reason:
        return "last accepted assessment is over 12 months old"
    if "No due diligence" in reason:
        return "no accepted assessment"
    if "in progress" in reason:
        return "assessment in progress, not yet accepted"
    if "No certification" in reason:
        return "no certification recorded"
    if "DSPT" in reason:
        return "no current DSPT at Standards Met"
    if "expired" in reason or "stopped" in reason:
        return "certificates expired or no longer valid"
    if "high risk" in reason:
        return "open high risks without owner"
    if "dispute" in reason:
        return "disputes without their data-security risk"
    if "legal name" in reason.lower():
        return "legal name missing"
    return reason[:80]
