"""The DSPT evidence pack: loads the records (today's or as at a day), evaluates the view the
organisation's category answers (and the other as an annex), derives the gaps and the action
plan, and hands everything to portal/reports/pack.py to lay out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal.contracts.library import clause_label, clause_title
from portal.core.bulk import portfolio_job
from portal.core.dates import now, uk_today
from portal.core.errors import InvalidInput
from portal.core.organisation import get_organisation
from portal.reports import (
    actions,
    approvals,
    attestations,
    frameworks,
    pack,
    readiness,
    service,
    snapshot,
)
from portal.reports.facts import NATIONAL_SCHEMES, certificate_validity, in_scope

ORGANISATION_WIDE = "Organisation-wide"
CERTIFICATE_WANTED = ("any one of Cyber Essentials, ISO/IEC 27001, a Digital Marketplace "
                      "listing or its own DSPT at Standards Met")
OWN_SCHEME_WANTED = "a current certificate of its own trade's scheme (for example BS EN 15713)"
# Statements whose records are clause or contract gaps (listed once, as those)
_AS_CLAUSES = {"NA3", "PA4", "A6"}
# What closes a CAF statement's shortfall, by the statement's records check: the action's
# kind, so its wording and owner follow the fix (actions.py, actions.yaml)
CAF_FIX = {"data_unknown": "particulars", "subcontractors_unseen": "subprocessors",
           "supply_chain_known": "subprocessors", "transfers_unprotected": "transfer",
           "access_unmonitored": "access", "connections_assured": "connection",
           "suppliers_certified": "certificate", "essential_info_protected": "certificate",
           "incidents_managed": "risk"}


async def load(as_at: dt.date | None) -> dict[str, Any]:
    return await snapshot.portfolio(as_at)


def _category(organisation: dict[str, Any]) -> int:
    category = organisation.get("dspt_category") or 1
    return category if category in frameworks.CATEGORIES else 1


def category_of(organisation: dict[str, Any]) -> int:
    """The DSPT category the organisation answers as (1 unless it says otherwise)."""
    return _category(organisation)


@portfolio_job
async def evaluate(*, toolkit: str, as_at: dt.date | None = None, framework: str | None = None,
                   today: dt.date | None = None, data: dict[str, Any] | None = None,
                   organisation: dict[str, Any] | None = None,
                   suppliers: list | None = None) -> readiness.Readiness:
    """The readiness the pack and the dashboard show, for the organisation's category."""
    if toolkit not in frameworks.years():
        raise InvalidInput(f"Unknown toolkit year {toolkit!r}; choose one of "
                           f"{', '.join(frameworks.years())}.")
    organisation = organisation or await get_organisation()
    view = frameworks.resolve(toolkit, _category(organisation), framework=framework)
    # loaded here only for the readiness (the dashboard's view): no score breakdowns
    data = data if data is not None else await snapshot.portfolio(as_at, breakdowns=False)
    day = as_at or today or dt.date.today()
    attested = attestations.as_attested(await attestations.current(toolkit, as_at=as_at))
    return readiness.evaluate(view, data, attested, today=day, clause_title=clause_title,
                              suppliers=suppliers)


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
            kind = CAF_FIX.get(x.statement.check, "statement")
            for name, why in x.records:
                v = names.get(name)
                if v is not None and not v.current and why.startswith("no current contract"):
                    continue  # the contract gap above closes it
                if "security measures term" in why:
                    continue  # a clause gap, listed as the contract variation above
                subject, detail = x.statement.id, why
                if kind == "certificate":
                    subject, detail = (CERTIFICATE_WANTED if v is None or v.it else
                                       OWN_SCHEME_WANTED), ""
                elif kind == "risk":
                    subject, detail = why, ""
                out.append((name, (v.tier or None) if v else None, kind, subject, "", detail))
    return out


def _plan_rows(found, *, as_at: dt.date) -> list[tuple[str, str, str, str, str]]:
    plans = actions.plan([actions.Gap(supplier=s, tier=t, kind=k, subject=sub, contract=c, detail=d)
                          for s, t, k, sub, c, d in found], as_at=as_at,
                         words=clause_label)
    return [(s, a, o, p.capitalize(), due) for s, a, o, p, due in actions.rows(plans)]


async def _approval(*, toolkit: str, as_at: dt.date | None, data: dict[str, Any],
                    organisation: dict[str, Any], manifest: list[tuple[str, int, str]]
                    ) -> dict[str, Any]:
    block = await approvals.approval_block(toolkit=toolkit, as_at=as_at, data=data,
                                           manifest=manifest)
    signed = {a["role"]: a for a in block["approvals"]}
    rows = []
    for role, label, default in (("ig_lead", "IG lead", organisation.get("ig_lead_name")),
                                 ("siro", "SIRO", organisation.get("siro_name"))):
        a = signed.get(role)
        rows.append((label, a["approver_name"] if a else (default or "–"),
                     f"Approved version {block['version']}" if a else "Not yet approved",
                     pack._d(a["approved_at"]) if a else "–"))
    note = (f"Version {block['version']} of the {toolkit} pack, records as at "
            f"{pack._d(block['as_at'])}, manifest digest {block['manifest_sha256']}. "
            + ("Approvals recorded in the portal for this very version are below."
               if block["approved"] else
               "Not yet approved: the IG lead and the SIRO record their approval of this "
               "version in the portal (the workspace's Evidence pack screen)."))
    return {"version": str(block["version"]) + ("" if block["approved"] else " (draft)"),
            "note": note, "rows": rows}


def _validity_of(day: dt.date):
    def check(cert: dict, supplier: dict, known=None) -> tuple[str, str]:
        if cert.get("scheme") not in NATIONAL_SCHEMES:
            return pack._d(cert.get("expires_on")), "Recorded (not a toolkit scheme)"
        # the verdict the readiness used (with the supplier's basic CE for a CE+), else judged
        v = known or certificate_validity(cert, supplier, day)
        expires = pack._d(v.expires_on)
        return expires, "Counts" if v.satisfies else (v.reason or "Does not count")
    return check


@portfolio_job
async def evidence_pack(*, toolkit: str, annex: str | None = None,
                        as_at: str | dt.date | None = None, today: dt.date | None = None
                        ) -> tuple[str, bytes]:
    """The pack for a toolkit year and the organisation's category; with `as_at` (a date or
    YYYY-MM-DD), from the records as they stood at the end of that day (UK time)."""
    if annex not in (None, "ndg", "caf"):
        raise InvalidInput("annex must be ndg (standard 10 items) or caf (CAF A4.a).")
    if toolkit not in frameworks.years():
        raise InvalidInput(f"Unknown toolkit year {toolkit!r}; choose one of "
                           f"{', '.join(frameworks.years())}.")
    as_at = await snapshot.as_at_date(as_at)
    generated = now()
    day = as_at or today or uk_today()
    data = await load(as_at)
    organisation = {**await get_organisation(), **(data.get("organisation") or {})}
    primary = await evaluate(toolkit=toolkit, as_at=as_at, today=day, data=data,
                             organisation=organisation)
    other = None
    if annex is not None and annex != primary.view.framework:
        other = await evaluate(toolkit=toolkit, as_at=as_at, today=day, data=data,
                               organisation=organisation, framework=annex)
    # hashed once: canonical JSON of every record is the pack's largest single cost
    manifest = service.manifest(data)
    approval = await _approval(toolkit=toolkit, as_at=as_at, data=data, organisation=organisation,
                               manifest=manifest)
    inputs = pack.PackInputs(
        organisation=organisation, toolkit=toolkit, readiness=primary, annex=other, data=data,
        as_at=as_at, generated_at=generated, version=approval["version"],
        manifest=manifest,
        plan_rows=_plan_rows(gaps(primary), as_at=day), approvals=approval["rows"],
        approval_note=approval["note"], clause_title=clause_title,
        validity_of=_validity_of(day), unaudited=data.get("unaudited") or {},
        records_begin=data.get("records_begin"), recorded_later=data.get("recorded_later") or {})
    suffix = f"-as-at-{as_at:%Y%m%d}" if as_at else f"-{day:%Y%m%d}"
    return f"dspt-evidence-{toolkit}{suffix}.docx", pack.build(inputs)
