"""The standard 10 accountability score: a pure, explainable function over plain values.

Every point traces to a record and every shortfall says what would fix it. Weights, tier
rules and gates come from the policy file (scoring/policy.yaml).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from portal.certifications.rules import add_months, validity
from questionnaires import states
from questionnaires.states import State

POLICY_FILE = Path(__file__).parent / "policy.yaml"
ART28 = ("art28.subject_matter", "art28.documented_instructions",
         "art28.infringing_instruction_notice", "art28.confidentiality",
         "art28.security_measures", "art28.sub_processors", "art28.data_subject_rights",
         "art28.compliance_assistance", "art28.deletion_or_return", "art28.audit_information")


@lru_cache(maxsize=4)
def load_policy(path: str | None = None) -> dict[str, Any]:
    source = Path(path or os.environ.get("PORTAL_SCORING_POLICY") or POLICY_FILE)
    policy = yaml.safe_load(source.read_text(encoding="utf-8"))
    total = sum(c["weight"] for c in policy["criteria"].values())
    if total != 100:
        raise ValueError(f"criteria weights in {source} add up to {total}, not 100")
    return policy


# Plain inputs -------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractFacts:
    id: int
    title: str
    start_date: dt.date | None
    end_date: dt.date | None
    data_role: str
    personal_data: bool
    patient_data: bool
    products: int = 0
    clauses: dict[str, str] = field(default_factory=dict)  # key -> present/partial/missing/n_a
    required: tuple[str, ...] = ()
    breach_hours: int | None = None


@dataclass(frozen=True)
class CertificationFacts:
    id: int
    scheme: str
    status: str = ""
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None
    edition: str = ""


@dataclass(frozen=True)
class AssessmentFacts:
    id: int
    status: str
    decided_at: dt.date | None
    compliance_share: float | None  # None: nothing scorable


@dataclass(frozen=True)
class RiskFacts:
    id: int
    kind: str  # risk, dispute, incident
    severity: str
    status: str
    owner: str
    mitigation: str
    data_security_risk: str


@dataclass(frozen=True)
class SupplierFacts:
    id: int
    name: str
    legal_name: str
    handles_personal_data: bool
    handles_patient_data: bool
    affects_care: bool
    contacts: int
    contracts: tuple[ContractFacts, ...] = ()
    certifications: tuple[CertificationFacts, ...] = ()
    assessments: tuple[AssessmentFacts, ...] = ()
    risks: tuple[RiskFacts, ...] = ()


# Result -------------------------------------------------------------------------------


@dataclass
class Criterion:
    key: str
    title: str
    points: float
    max_points: int
    met: bool
    reasons: list[str]
    evidences: list[str]
    fixes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "points": round(self.points, 1),
                "max_points": self.max_points, "met": self.met, "reasons": self.reasons,
                "evidences": self.evidences, "fixes": self.fixes}


@dataclass
class Score:
    score: int
    rating: str
    tier: str
    criteria: list[Criterion]
    gates: list[str]

    def breakdown(self) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.criteria]


def active_contracts(facts: SupplierFacts, today: dt.date) -> list[ContractFacts]:
    return [c for c in facts.contracts if c.end_date is None or c.end_date >= today]


def tier(facts: SupplierFacts, today: dt.date) -> str:
    contracts = active_contracts(facts, today)
    if facts.affects_care or facts.handles_patient_data or any(c.patient_data for c in contracts):
        return "critical"
    if facts.handles_personal_data or any(c.personal_data for c in contracts):
        return "elevated"
    return "baseline"


def _known(facts: SupplierFacts, contracts: list[ContractFacts], weight: int) -> tuple[float, list, list]:
    checks = [
        (bool(facts.legal_name.strip()), "Legal name recorded.", "No legal name is recorded.",
         "Record the supplier's legal name."),
        (facts.contacts > 0, f"{facts.contacts} contact(s) recorded.", "No contact is recorded.",
         "Add a named contact with an email address."),
        (any(c.products for c in contracts), "Products or services recorded.",
         "No products or services are recorded against a current contract.",
         "List the products or services under the contract."),
        (bool(contracts) and all(c.start_date and c.end_date for c in contracts),
         "Every current contract has start and end dates." if contracts else "",
         "No current contract is recorded." if not contracts else
         "A current contract has no start or end date.",
         "Record the contract and its start and end dates." if not contracts else
         "Add the missing contract dates."),
    ]
    passed = sum(1 for ok, *_ in checks if ok)
    reasons = [good if ok else bad for ok, good, bad, _ in checks]
    fixes = [fix for ok, _, _, fix in checks if not ok]
    return weight * passed / len(checks), reasons, fixes


def _contracted(contracts: list[ContractFacts], policy: dict, weight: int
                ) -> tuple[float, list, list, list[str]]:
    """Share of required clauses present across current contracts; returns missing art28 keys."""
    partial_credit = policy["partial_clause_credit"]
    breach = policy["breach_hours"]
    earned = possible = 0.0
    reasons, fixes, missing_art28 = [], [], []
    if not contracts:
        return 0.0, ["No current contract, so no contract terms are in place."], [
            "Record the current contract and check its clauses."], []
    for contract in contracts:
        if not contract.required:
            continue
        gaps, partial = [], []
        for key in contract.required:
            status = contract.clauses.get(key, "missing")
            possible += 1
            if status == "not_applicable":
                earned += 1
                continue
            if key == "breach.notification" and status in ("present", "partial"):
                hours = contract.breach_hours
                if hours is not None and hours <= breach["good"]:
                    earned += 1
                elif hours is not None and hours <= breach["acceptable"]:
                    earned += breach["acceptable_credit"]
                    partial.append(f"breach notification ({hours} hours; 24 expected)")
                else:
                    earned += partial_credit
                    partial.append("breach notification (no time limit in hours)"
                                   if hours is None else f"breach notification ({hours} hours)")
                continue
            if status == "present":
                earned += 1
            elif status == "partial":
                earned += partial_credit
                partial.append(key)
            else:
                gaps.append(key)
                if key.startswith("art28.") and contract.data_role == "processor" \
                        and contract.personal_data:
                    missing_art28.append(key)
        if gaps:
            reasons.append(f"'{contract.title}' is missing {len(gaps)} required clause(s): "
                           + ", ".join(gaps) + ".")
            fixes.append(f"Add to '{contract.title}': " + ", ".join(gaps)
                         + " (download the missing-clause schedule).")
        if partial:
            reasons.append(f"'{contract.title}' only partly covers: " + ", ".join(partial) + ".")
        if not gaps and not partial:
            reasons.append(f"'{contract.title}' has all {len(contract.required)} required clauses.")
    if possible == 0:
        return float(weight), ["No clauses are required for this supplier's contracts."], [], []
    return weight * earned / possible, reasons, fixes, missing_art28


def _certified(facts: SupplierFacts, the_tier: str, today: dt.date, weight: int
               ) -> tuple[float, list, list, bool]:
    current: dict[str, list[str]] = {}
    reasons = []
    dspt_ok = False
    for cert in facts.certifications:
        v = validity(scheme=cert.scheme, today=today, status=cert.status, issued_on=cert.issued_on,
                     expires_on=cert.expires_on, edition=cert.edition)
        label = {"dspt": "DSPT", "cyber_essentials": "Cyber Essentials",
                 "cyber_essentials_plus": "Cyber Essentials Plus",
                 "iso27001": "ISO/IEC 27001"}.get(cert.scheme, cert.scheme)
        if v.satisfies:
            current.setdefault(cert.scheme, []).append(label)
            if cert.scheme == "dspt":
                dspt_ok = True
            reasons.append(f"{label} is current until {v.expires_on:%d %B %Y}." if v.expires_on
                           else f"{label} is current.")
        elif v.reason:
            reasons.append(f"{label}: {v.reason}")
    strong = bool(current.get("cyber_essentials_plus") or current.get("iso27001"))
    any_ce = strong or bool(current.get("cyber_essentials"))
    if the_tier == "critical":
        parts = [dspt_ok, strong]
        fixes = []
        if not dspt_ok:
            fixes.append("Obtain evidence of a current DSPT publication at Standards Met or above.")
        if not strong:
            fixes.append("Obtain a current Cyber Essentials Plus or ISO/IEC 27001 certificate.")
        points = weight * sum(parts) / 2
        if not reasons:
            reasons.append("No certification is recorded.")
        return points, reasons, fixes, dspt_ok
    if the_tier == "elevated":
        ok = dspt_ok or any_ce
        return (weight if ok else 0.0), reasons or ["No certification is recorded."], (
            [] if ok else ["Obtain a current DSPT (Standards Met), Cyber Essentials, Cyber "
                           "Essentials Plus or ISO/IEC 27001."]), dspt_ok
    ok = any_ce or dspt_ok
    return (weight if ok else 0.0), reasons or ["No certification is recorded."], (
        [] if ok else ["Obtain a current Cyber Essentials certificate."]), dspt_ok


def _due_diligence(facts: SupplierFacts, today: dt.date, policy: dict, weight: int
                   ) -> tuple[float, list, list]:
    window = add_months(today, -policy["assessment_valid_months"])
    accepted = sorted((a for a in facts.assessments if a.status == State.accepted and a.decided_at),
                      key=lambda a: a.decided_at, reverse=True)
    recent = [a for a in accepted if a.decided_at >= window]
    if not recent:
        if accepted:
            return 0.0, [f"The last accepted assessment ({accepted[0].decided_at:%d %B %Y}) is "
                         "more than 12 months old."], ["Send this year's due diligence questionnaire."]
        pending = [a for a in facts.assessments if a.status in states.PENDING]
        if pending:
            return 0.0, ["A questionnaire is in progress but not yet accepted."], [
                "Chase the supplier and review the questionnaire when submitted."]
        return 0.0, ["No due diligence questionnaire has been accepted."], [
            "Send the due diligence questionnaire."]
    latest = recent[0]
    if latest.compliance_share is None:
        return float(weight), [f"Assessment accepted on {latest.decided_at:%d %B %Y} (nothing "
                               "scorable in it, so it counts in full)."], []
    share = latest.compliance_share
    reasons = [f"Assessment accepted on {latest.decided_at:%d %B %Y}; {share:.0%} of the weighted "
               "answers meet the requirement."]
    fixes = [] if share >= 0.999 else [
        "Follow up the answers that do not meet the requirement, and ask for evidence where "
        "only an assertion was given."]
    return weight * share, reasons, fixes


def _risks(facts: SupplierFacts, weight: int) -> tuple[float, list, list]:
    open_items = [r for r in facts.risks if r.status != "closed"]
    unowned_high = [r for r in open_items if r.kind == "risk" and r.severity == "high"
                    and not (r.owner.strip() and r.mitigation.strip())]
    disputes_without_risk = [r for r in facts.risks if r.kind == "dispute"
                             and not r.data_security_risk.strip()]
    points = float(weight)
    reasons, fixes = [], []
    if unowned_high:
        points = 0.0
        reasons.append(f"{len(unowned_high)} open high risk(s) without an owner and mitigation.")
        fixes.append("Give each open high risk a mitigation owner and a mitigation.")
    if disputes_without_risk:
        points = max(0.0, points - weight / 2)
        reasons.append(f"{len(disputes_without_risk)} dispute(s) recorded without their "
                       "data-security risk.")
        fixes.append("Record the data-security risk each dispute poses.")
    if not reasons:
        reasons.append(f"{len(open_items)} open risk(s) or dispute(s), all with owners and "
                       "mitigations." if open_items else "No open risks or disputes.")
    return points, reasons, fixes


def score(facts: SupplierFacts, *, today: dt.date, policy: dict | None = None) -> Score:
    policy = policy or load_policy()
    spec = policy["criteria"]
    contracts = active_contracts(facts, today)
    the_tier = tier(facts, today)
    criteria: list[Criterion] = []

    def add(key: str, points: float, reasons: list, fixes: list) -> None:
        weight = spec[key]["weight"]
        criteria.append(Criterion(key, spec[key]["title"], points, weight,
                                  points >= weight - 1e-9, reasons, list(spec[key]["evidences"]),
                                  fixes))

    points, reasons, fixes = _known(facts, contracts, spec["known"]["weight"])
    add("known", points, reasons, fixes)
    points, reasons, fixes, missing_art28 = _contracted(contracts, policy,
                                                        spec["contracted"]["weight"])
    add("contracted", points, reasons, fixes)
    points, reasons, fixes, dspt_ok = _certified(facts, the_tier, today,
                                                 spec["certified"]["weight"])
    add("certified", points, reasons, fixes)
    points, reasons, fixes = _due_diligence(facts, today, policy, spec["due_diligence"]["weight"])
    add("due_diligence", points, reasons, fixes)
    points, reasons, fixes = _risks(facts, spec["risks"]["weight"])
    add("risks", points, reasons, fixes)

    total = round(sum(c.points for c in criteria))
    gates = []
    if policy["gates"].get("processor_missing_art28") and missing_art28:
        gates.append("Red whatever the points: a contract under which it processes personal "
                     "data lacks Article 28 terms (" + ", ".join(sorted(set(missing_art28))) + ").")
    if policy["gates"].get("critical_without_dspt") and the_tier == "critical" and not dspt_ok:
        gates.append("Red whatever the points: a critical supplier needs a current DSPT at "
                     "Standards Met or Exceeded.")
    thresholds = policy["thresholds"]
    if gates or total < thresholds["amber"]:
        rating = "red"
    elif total < thresholds["green"]:
        rating = "amber"
    else:
        rating = "green"
    return Score(total, rating, the_tier, criteria, gates)
