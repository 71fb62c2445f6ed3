"""The facts the toolkit answers and the CAF statements are judged on, from plain records.

Input is the portfolio as plain dicts (portal/reports/snapshot.py or service._portfolio): lists
of suppliers, contacts, contracts, products, clauses, certifications, assessments, risks,
scores and sub-processors. No framework imports: tested with plain values.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from portal.certifications.rules import validity
from portal.contracts.rules import required_for

NATIONAL_SCHEMES = ("cyber_essentials", "cyber_essentials_plus", "iso27001", "dspt")
SCHEME_LABELS = {"dspt": "own DSPT", "cyber_essentials": "Cyber Essentials",
                 "cyber_essentials_plus": "Cyber Essentials Plus", "iso27001": "ISO/IEC 27001",
                 "digital_marketplace": "Digital Marketplace listing", "other": "other scheme"}
MARKETPLACE_NAMES = ("digital marketplace", "g-cloud", "g cloud")
UK_MECHANISMS = ("uk",)
SAFEGUARDED = ("adequacy", "idta", "uk_addendum")
NEEDS_TRA = ("idta", "uk_addendum")


def _loads(value: Any) -> Any:
    if value == "[]":  # nearly every certificate's cleared flags: no parse needed
        return []
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


@dataclass
class SupplierView:
    """One supplier as the evidence sees it."""

    id: int
    name: str
    legal_name: str
    supplier_type: str
    personal: bool  # handles personal information (flags or any contract, ended ones included)
    contracts: list[dict]  # every contract, ended ones included
    current: list[dict]  # contracts in force on the day
    contacts: list[dict]
    products: list[str]
    certifications: list[dict]
    assessments: list[dict]
    risks: list[dict]
    subprocessors: list[dict]
    score: dict | None
    national_certificates: list[str] = field(default_factory=list)  # scheme labels that count
    own_scheme_certificates: list[str] = field(default_factory=list)  # e.g. BS EN 15713, current
    clause_gaps: dict[int, list[str]] = field(default_factory=dict)  # current contract -> keys
    required: dict[int, list[str]] = field(default_factory=dict)
    validity: dict[int, Any] = field(default_factory=dict)  # certificate id -> the rules' verdict
    checks: dict[Any, tuple] = field(default_factory=dict)  # what CAF checks found here (caf._each)

    @property
    def it(self) -> bool:
        return self.supplier_type != "non_it"

    @property
    def proportionate_certificates(self) -> list[str]:
        """What shows security proportionate to the supplier: a toolkit scheme for anyone; for
        a non-IT supplier also its own scheme (domain.md §4: confidential waste, couriers and
        solicitors are judged by their own schemes, e.g. BS EN 15713, not by IT certificates)."""
        return self.national_certificates + ([] if self.it else self.own_scheme_certificates)

    @property
    def tier(self) -> str:
        return (self.score or {}).get("tier") or ""

    def criterion(self, key: str) -> dict | None:
        if not self.score:
            return None
        breakdown = _loads(self.score.get("breakdown")) or {}
        return next((c for c in breakdown.get("criteria", []) if c.get("key") == key), None)


def _current(contract: dict, today: dt.date) -> bool:
    end = contract.get("end_date")  # as scoring's active_contracts: not ended on the day
    return end is None or end >= today


def contract_required(contract: dict, supplier: dict) -> list[str]:
    """The clauses this contract must carry (the clause library's one rule)."""
    return list(required_for(contract, supplier))


def certificate_validity(c: dict, supplier: dict, today: dt.date, basic_ce: tuple = ()):
    """The certification rules' verdict on one certificate row for this supplier."""
    cleared = _loads(c.get("flags_cleared") or "[]") or []
    return validity(scheme=c.get("scheme") or "other", today=today, status=c.get("status") or "",
                    issued_on=c.get("issued_on"), expires_on=c.get("expires_on"),
                    edition=c.get("edition") or "", legal_entity=c.get("legal_entity") or "",
                    scope=c.get("scope") or "",
                    supplier_legal_name=supplier.get("legal_name") or supplier["name"],
                    accreditation_body=c.get("accreditation_body") or "",
                    audited_on=c.get("audited_on"), basic_ce_issued=basic_ce,
                    cleared=tuple(i["flag"] for i in cleared if isinstance(i, dict) and "flag" in i))


def _national(supplier: dict, certs: list[dict], today: dt.date,
              verdicts: dict[int, Any] | None = None) -> list[str]:
    """Which of the toolkit's accepted schemes the supplier currently holds (10.2.1 wording:
    any one of Cyber Essentials, ISO/IEC 27001, a Digital Marketplace listing or own DSPT)."""
    held = []
    basic_ce = tuple(c["issued_on"] for c in certs
                     if c.get("scheme") == "cyber_essentials" and c.get("issued_on"))
    for c in certs:
        scheme = c.get("scheme")
        if scheme == "other":
            name = (c.get("scheme_name") or "").lower()
            expires = c.get("expires_on")
            if any(n in name for n in MARKETPLACE_NAMES) and (expires is None or expires >= today):
                held.append(SCHEME_LABELS["digital_marketplace"])
            continue
        if scheme not in NATIONAL_SCHEMES:
            continue
        v = certificate_validity(c, supplier, today, basic_ce)
        if verdicts is not None and c.get("id") is not None:
            verdicts[c["id"]] = v  # judged once: the pack's certification table reads it
        if v.satisfies:
            held.append(SCHEME_LABELS[scheme])
    return list(dict.fromkeys(held))


def _own_schemes(certs: list[dict], today: dt.date) -> list[str]:
    """Current certificates of a scheme of the supplier's own trade (scheme 'other', not a
    Digital Marketplace listing): issued by the day and not expired."""
    held = []
    for c in certs:
        name = (c.get("scheme_name") or "").strip()
        if c.get("scheme") != "other" or not name or any(n in name.lower() for n in MARKETPLACE_NAMES):
            continue
        issued, expires = c.get("issued_on"), c.get("expires_on")
        if (issued is None or issued <= today) and (expires is None or expires >= today):
            held.append(name)
    return list(dict.fromkeys(held))


def build(data: dict[str, list[dict]], today: dt.date) -> list[SupplierView]:
    """Every current (not archived) supplier, in register order."""
    by: dict[str, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for key in ("contacts", "contracts", "certifications", "assessments", "risks", "subprocessors"):
        for row in data.get(key) or []:
            if row.get("archived_at") is None:
                by[key][row["supplier"]].append(row)
    products: dict[int, list[str]] = defaultdict(list)
    for row in data.get("products") or []:
        products[row["supplier"]].append(row["name"])
    clauses: dict[int, dict[str, str]] = defaultdict(dict)
    for row in data.get("clauses") or []:
        clauses[row["contract"]][row["key"]] = row["status"]
    scores = {r["supplier"]: r for r in data.get("scores") or []}
    views = []
    for s in data.get("suppliers") or []:
        if s.get("archived_at") is not None:
            continue
        contracts = by["contracts"][s["id"]]
        current = [c for c in contracts if _current(c, today)]
        personal = bool(s.get("handles_personal_data") or s.get("handles_patient_data")
                        or any(c.get("personal_data") or c.get("patient_data")
                               or c.get("special_category_data") for c in contracts))
        view = SupplierView(
            id=s["id"], name=s["name"], legal_name=s.get("legal_name") or "",
            supplier_type=s.get("supplier_type") or "it_service", personal=personal,
            contracts=contracts, current=current, contacts=by["contacts"][s["id"]],
            products=list(dict.fromkeys(products[s["id"]])),
            certifications=by["certifications"][s["id"]], assessments=by["assessments"][s["id"]],
            risks=by["risks"][s["id"]], subprocessors=by["subprocessors"][s["id"]],
            score=scores.get(s["id"]))
        view.national_certificates = _national(s, view.certifications, today, view.validity)
        view.own_scheme_certificates = _own_schemes(view.certifications, today)
        for c in current:
            required = contract_required(c, s)
            view.required[c["id"]] = required
            have = clauses.get(c["id"], {})
            view.clause_gaps[c["id"]] = [k for k in required if have.get(k, "missing")
                                         in ("missing", "partial")]
        views.append(view)
    return views


def in_scope(views: list[SupplierView]) -> list[SupplierView]:
    """Suppliers standard 10 is about: those handling personal information, with or without a
    current contract (an expired or missing contract is a gap, not a reason to leave one out)."""
    return [v for v in views if v.personal]
