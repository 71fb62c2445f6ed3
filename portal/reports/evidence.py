"""The DSPT evidence pack: loads the records (today's or as at a day), evaluates the view the
organisation's category answers (and the other as an annex), derives the gaps and the action
plan, and hands everything to portal/reports/pack.py to lay out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal.contracts.library import clause_title
from portal.core.errors import InvalidInput
from portal.core.organisation import get_organisation
from portal.reports import attestations, frameworks, pack, readiness, service
from portal.reports.facts import NATIONAL_SCHEMES, certificate_validity, in_scope

ORGANISATION_WIDE = "Organisation-wide"
CERTIFICATE_WANTED = ("any one of Cyber Essentials, ISO/IEC 27001, a Digital Marketplace "
                      "listing or its own DSPT at Standards Met")
# Statements whose records are clause or contract gaps (listed once, as those)
_AS_CLAUSES = {"NA3", "PA4", "A6"}


async def load(as_at: dt.date | None) -> dict[str, Any]:
    if as_at is not None:
        raise InvalidInput("A pack as at a date needs the audit-trail snapshot, not available yet.")
    return await service.portfolio()


def _category(organisation: dict[str, Any]) -> int:
    category = organisation.get("dspt_category") or 1
    return category if category in frameworks.CATEGORIES else 1


async def evaluate(*, toolkit: str, as_at: dt.date | None = None, framework: str | None = None,
                   today: dt.date | None = None, data: dict[str, Any] | None = None,
                   organisation: dict[str, Any] | None = None) -> readiness.Readiness:
    """The readiness the pack and the dashboard show, for the organisation's category."""
    if toolkit not in frameworks.years():
        raise InvalidInput(f"Unknown toolkit year {toolkit!r}; choose one of "
                           f"{', '.join(frameworks.years())}.")
    organisation = organisation or await get_organisation()
    view = frameworks.resolve(toolkit, _category(organisation), framework=framework)
    data = data if data is not None else await load(as_at)
    day = as_at or today or dt.date.today()
    attested = attestations.as_attested(await attestations.current(toolkit, as_at=as_at))
    return readiness.evaluate(view, data, attested, today=day, clause_title=clause_title)


def gaps(r: readiness.Readiness) -> list[tuple[str, str | None, str, str, str, str]]:
    """(supplier, tier, kind, subject, contract, detail) for every gap the pack lists."""
    out: list[tuple[str, str | None, str, str, str, str]] = []
    for v in in_scope(r.suppliers):
        tier = v.tier or None
        if not v.current:
            out.append((v.name, tier, "contract", "", "", "no current contract while it "
                                                          "handles personal information"))
        for c in v.current:
            for key in v.clause_gaps.get(c["id"], []):
                out.append((v.name, tier, "clause", key, c["title"], ""))
        if r.caf is None:
            for a in r.answers:
                for g in a.gaps:
                    if g.supplier_id != v.id or g.fix_kind == "contract":
                        continue
                    kind = {"register": "register", "certificate": "certificate",
                            "assessment": "due_diligence", "risk": "risk"}[g.fix_kind]
                    subject = CERTIFICATE_WANTED if kind == "certificate" else g.what
                    out.append((v.name, tier, kind, subject, "", ""))
    if r.caf is not None:
        names = {v.name: v for v in r.suppliers}
        for x in r.caf.results:
            if x.statement.level == "achieved" or x.statement.id in _AS_CLAUSES:
                continue
            good = (x.value is False) if x.statement.level == "not_achieved" else x.value is True
            if good:
                continue
            if x.statement.evidence in ("attestation", "both") and x.attestation is None:
                out.append(("", None, "attestation", f"{x.statement.id}: {x.statement.text}", "", ""))
            for name, why in x.records:
                v = names.get(name)
                out.append((name, (v.tier or None) if v else None, "statement",
                            f"{x.statement.id}", "", why))
    return out


_OWNERS = {"clause": "Contract manager", "contract": "Procurement", "register": "Procurement",
           "certificate": "Reviewer", "due_diligence": "Procurement", "attestation": "IG lead",
           "statement": "IG lead", "risk": "Risk owner"}
_PRIORITY = {"critical": ("High", 30), "elevated": ("Medium", 60), "baseline": ("Low", 90)}


def _plan_rows(found, *, as_at: dt.date) -> list[tuple[str, str, str, str, str]]:
    grouped: dict[tuple[str, str, str], list] = {}
    for gap in found:
        grouped.setdefault((gap[0], gap[2], gap[4]), []).append(gap)
    rows = []
    for (supplier, kind, contract), items in grouped.items():
        priority, days = _PRIORITY.get(items[0][1] or "", ("High", 30) if not supplier else ("Low", 90))
        subjects = "; ".join(dict.fromkeys(clause_title(g[3]) if kind == "clause" else g[3]
                                           for g in items if g[3]))
        details = "; ".join(dict.fromkeys(g[5] for g in items if g[5]))
        text = {"clause": f"Agree a contract variation to '{contract}' adding: {subjects}.",
                "contract": f"Put a current contract in place with the terms it needs ({details}).",
                "attestation": f"Make the attestation: {subjects}.",
                "statement": f"Meet CAF A4.a {subjects}: {details}."}.get(
            kind, f"Fix: {subjects or details}.")
        rows.append((supplier or ORGANISATION_WIDE, text, _OWNERS[kind], priority,
                     as_at + dt.timedelta(days=days)))
    order = {"High": 0, "Medium": 1, "Low": 2}
    rows.sort(key=lambda r: (r[0] != ORGANISATION_WIDE, order[r[3]], r[0]))
    return [(s, t, o, p, pack._d(d)) for s, t, o, p, d in rows]


async def _approval(*, organisation: dict[str, Any]) -> dict[str, Any]:
    return {"version": "Draft", "note": "Not yet approved in the portal. The IG lead and the SIRO "
                                        "approve this version before submission.",
            "rows": [("IG lead", organisation.get("ig_lead_name") or "–", "Not yet approved", "–"),
                     ("SIRO", organisation.get("siro_name") or "–", "Not yet approved", "–")]}


def _validity_of(day: dt.date):
    def check(cert: dict, supplier: dict) -> tuple[str, str]:
        if cert.get("scheme") not in NATIONAL_SCHEMES:
            return pack._d(cert.get("expires_on")), "Recorded (not a toolkit scheme)"
        v = certificate_validity(cert, supplier, day)
        expires = pack._d(v.expires_on)
        return expires, "Counts" if v.satisfies else (v.reason or "Does not count")
    return check


async def evidence_pack(*, toolkit: str, annex: str | None = None, as_at: dt.date | None = None,
                        today: dt.date | None = None) -> tuple[str, bytes]:
    if annex not in (None, "ndg", "caf"):
        raise InvalidInput("annex must be ndg (standard 10 items) or caf (CAF A4.a).")
    generated = dt.datetime.now(dt.UTC)
    day = as_at or today or generated.date()
    if as_at is not None and as_at > generated.date():
        raise InvalidInput("as_at can't be in the future: the records of that day don't exist yet.")
    organisation = await get_organisation()
    data = await load(as_at)
    primary = await evaluate(toolkit=toolkit, as_at=as_at, today=day, data=data,
                             organisation=organisation)
    other = None
    if annex is not None and annex != primary.view.framework:
        other = await evaluate(toolkit=toolkit, as_at=as_at, today=day, data=data,
                               organisation=organisation, framework=annex)
    approval = await _approval(organisation=organisation)
    inputs = pack.PackInputs(
        organisation=organisation, toolkit=toolkit, readiness=primary, annex=other, data=data,
        as_at=as_at, generated_at=generated, version=approval["version"],
        manifest=service.manifest({k: v for k, v in data.items() if isinstance(v, list)}),
        plan_rows=_plan_rows(gaps(primary), as_at=day), approvals=approval["rows"],
        approval_note=approval["note"], clause_title=clause_title,
        validity_of=_validity_of(day), unaudited=data.get("unaudited") or {})
    suffix = f"-as-at-{as_at:%Y%m%d}" if as_at else f"-{day:%Y%m%d}"
    return f"dspt-evidence-{toolkit}{suffix}.docx", pack.build(inputs)
