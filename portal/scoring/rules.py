"""The standard 10 accountability score: a pure, explainable function over plain values.

Every point traces to a record and every shortfall says what would fix it. Weights, tier
rules, certificate bars, the questionnaires each tier needs and gates come from the policy
file (scoring/policy.yaml); certificate dates and lists from certifications/schemes.yaml.

The rating is the points' band, capped by gates (a fact that makes a supplier red whatever
its points) and knock-outs (an answer that breaks a criterion). A SIRO-level acceptance of
the risk (who, why, until when) turns that cap into amber until its date.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from portal.assessments.campaign_rules import questionnaires_needed
from portal.certifications.rules import VERIFICATION_LEVELS, validity
from portal.contracts.library import clause_label, clause_title
from portal.core.dates import add_months
from questionnaires import states
from questionnaires.loader import shipped
from questionnaires.states import State

POLICY_FILE = Path(__file__).parent / "policy.yaml"
ART28 = ("art28.subject_matter", "art28.documented_instructions",
         "art28.infringing_instruction_notice", "art28.confidentiality",
         "art28.security_measures", "art28.sub_processors", "art28.data_subject_rights",
         "art28.compliance_assistance", "art28.deletion_or_return", "art28.audit_information")
RATINGS = ("red", "amber", "green")
LABELS = {"dspt": "DSPT", "cyber_essentials": "Cyber Essentials",
          "cyber_essentials_plus": "Cyber Essentials Plus", "iso27001": "ISO/IEC 27001",
          "digital_marketplace": "Digital Marketplace listing", "own_scheme": "its sector scheme"}


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
    breach_hours: int | None = None  # 0 = "immediately"
    system_access: str = "none"  # none, user, remote, privileged
    supports_essential_function: bool = False
    special_category_data: bool = False


@dataclass(frozen=True)
class CertificationFacts:
    id: int
    scheme: str
    status: str = ""
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None
    edition: str = ""
    verification: str = "self_declared"
    legal_entity: str = ""
    scope: str = ""
    accreditation_body: str = ""
    audited_on: dt.date | None = None
    scheme_name: str = ""
    cleared: tuple[str, ...] = ()


@dataclass(frozen=True)
class FailingAnswer:
    question_id: str
    text: str
    answer: str


@dataclass(frozen=True)
class AssessmentFacts:
    id: int
    status: str
    decided_at: dt.date | None
    compliance_share: float | None  # None: nothing scorable
    definition_key: str = "ndg10-supplier-due-diligence"
    title: str = ""
    compliant: int = 0
    scorable: int = 0
    evidenced: int = 0
    checked: int = 0
    failing: tuple[FailingAnswer, ...] = ()
    # An assessment another organisation accepted, imported from its signed bundle: its
    # provenance, and the bundle's own expiry (it stops counting then, whatever the window).
    reused_from: str = ""
    expires_on: dt.date | None = None


@dataclass(frozen=True)
class RiskFacts:
    id: int
    kind: str  # risk, dispute, incident
    severity: str
    status: str  # open, mitigated, closed
    owner: str
    mitigation: str
    data_security_risk: str
    title: str = ""
    source_key: str | None = None  # knockout:<assessment>:<question> when opened by an answer
    criterion: str = ""
    gate: str = ""  # the gate this risk records (so a SIRO can accept it)
    accepted_by: str = ""
    accepted_role: str = ""
    accepted_reason: str = ""
    accepted_until: dt.date | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def acceptance(self, today: dt.date) -> str | None:
        """The acceptance text while it lasts; None when there is none or it lapsed."""
        if not self.accepted_by or self.accepted_until is None or self.accepted_until < today:
            return None
        role = f" ({self.accepted_role})" if self.accepted_role else ""
        return (f"accepted by {self.accepted_by}{role} until {self.accepted_until:%d %B %Y}: "
                f"{self.accepted_reason}")

    def lapsed(self, today: dt.date) -> str | None:
        if self.accepted_by and self.accepted_until is not None and self.accepted_until < today:
            return f"the acceptance by {self.accepted_by} lapsed on {self.accepted_until:%d %B %Y}"
        return None


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
    supplier_type: str = "it_service"  # it_system, it_service, non_it


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
    records: list[dict[str, Any]] = field(default_factory=list)  # what it used, with levels

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "points": round(self.points, 1),
                "max_points": self.max_points, "met": self.met, "reasons": self.reasons,
                "evidences": self.evidences, "fixes": self.fixes, "records": self.records}


@dataclass
class Cap:
    key: str  # gate key, or knockout:<assessment>:<question>, or incident:<id>
    kind: str  # gate, knockout, incident
    rating: str  # the highest rating it allows: red, or amber once accepted
    reason: str
    acceptance: str | None = None
    risk_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "rating": self.rating,
                "reason": self.reason, "acceptance": self.acceptance, "risk_id": self.risk_id}


@dataclass
class Score:
    score: int
    rating: str
    tier: str
    criteria: list[Criterion]
    gates: list[str]  # every cap, in words (acceptances included)
    caps: list[Cap] = field(default_factory=list)
    tier_reasons: list[str] = field(default_factory=list)

    def breakdown(self) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.criteria]

    @property
    def knockouts(self) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.caps if c.kind == "knockout"]

    @property
    def acceptances(self) -> list[str]:
        return [f"{c.reason} — {c.acceptance}" for c in self.caps if c.acceptance]


def active_contracts(facts: SupplierFacts, today: dt.date) -> list[ContractFacts]:
    return [c for c in facts.contracts if c.end_date is None or c.end_date >= today]


def processes_personal_data(facts: SupplierFacts) -> bool:
    """The supplier handles personal data (its flags or any contract, ended ones included:
    a service that carries on after its contract ended still processes)."""
    return (facts.handles_personal_data or facts.handles_patient_data
            or any(c.personal_data or c.patient_data or c.special_category_data
                   for c in facts.contracts))


def tier_with_reasons(facts: SupplierFacts, today: dt.date, policy: dict | None = None
                      ) -> tuple[str, list[str]]:
    """Critical, elevated or baseline, from what the supplier holds and what it can reach.

    Current contracts decide; with none current, the latest contracts still say what the
    supplier does."""
    spec = (policy or load_policy())["tier"]
    contracts = active_contracts(facts, today) or list(facts.contracts)
    critical, elevated = [], []
    if facts.handles_patient_data or any(c.patient_data for c in contracts):
        critical.append("it handles patient data")
    if facts.affects_care:
        critical.append("its system affects care delivery")
    for c in contracts:
        access = c.system_access or "none"
        if access in spec["critical_access"]:
            critical.append(f"it has {access} access to our systems under '{c.title}'")
        elif access in spec["elevated_access"]:
            elevated.append(f"it has {access} access to our systems under '{c.title}'")
        if c.supports_essential_function:
            (critical if spec["essential_function"] == "critical" else elevated).append(
                f"'{c.title}' supports an essential function")
        if c.special_category_data:
            (critical if spec["special_category_data"] == "critical" else elevated).append(
                f"'{c.title}' involves special-category data")
    if facts.handles_personal_data or any(c.personal_data for c in contracts):
        elevated.append("it handles personal data")
    if critical:
        return "critical", ["Critical because " + "; ".join(dict.fromkeys(critical)) + "."]
    if elevated:
        return "elevated", ["Elevated because " + "; ".join(dict.fromkeys(elevated)) + "."]
    return "baseline", ["Baseline: no personal data, no access to our systems and no essential "
                        "function is recorded."]


def tier(facts: SupplierFacts, today: dt.date, policy: dict | None = None) -> str:
    return tier_with_reasons(facts, today, policy)[0]


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


def breach_credit(hours: int | None, status: str, policy: dict) -> tuple[float, str | None, bool]:
    """(credit, what falls short, is a gap) for the breach notification clause.

    0 hours is "immediately" (the national model clauses' wording): full credit, as is 24
    hours or less; up to 48 acceptable; more than 48 a gap; no stated window (e.g. "without
    undue delay" alone) partial."""
    breach = policy["breach_hours"]
    if status not in ("present", "partial"):
        return 0.0, None, True
    if hours is not None and hours <= breach["good"]:
        return 1.0, None, False
    if hours is not None and hours <= breach["acceptable"]:
        return breach["acceptable_credit"], f"breach notification ({hours} hours; 24 expected)", False
    if hours is not None:
        return 0.0, f"breach notification ({hours} hours is longer than {breach['acceptable']})", True
    return (policy["partial_clause_credit"],
            "breach notification (no time limit in hours, e.g. 'without undue delay' alone)", False)


def _contracted(contracts: list[ContractFacts], policy: dict, weight: int
                ) -> tuple[float, list, list, list[str]]:
    """Share of required clauses present across current contracts; returns the art28 gaps
    (missing, partial or wrongly 'not applicable') of processor contracts."""
    partial_credit = policy["partial_clause_credit"]
    earned = possible = 0.0
    reasons, fixes, art28_gaps = [], [], []
    if not contracts:
        return 0.0, ["No current contract, so no contract terms are in place."], [
            "Record the current contract and check its clauses."], []
    for contract in contracts:
        if not contract.required:
            continue
        processor = contract.data_role == "processor" and contract.personal_data
        gaps, partial = [], []
        for key in contract.required:
            status = contract.clauses.get(key, "missing")
            possible += 1
            if status == "not_applicable":
                if key.startswith("art28.") and processor:
                    gaps.append(f"{clause_title(key)} (marked not applicable, but it is "
                                "required of a processor)")
                    art28_gaps.append(key)
                    continue
                earned += 1
                continue
            if key == "breach.notification":
                credit, short, gap = breach_credit(contract.breach_hours, status, policy)
                earned += credit
                if gap:
                    gaps.append(short or clause_title(key))
                elif short:
                    partial.append(short)
                continue
            if status == "present":
                earned += 1
            elif status == "partial":
                earned += partial_credit
                partial.append(clause_title(key))
                if key.startswith("art28.") and processor:
                    art28_gaps.append(key)
            else:
                gaps.append(clause_title(key))
                if key.startswith("art28.") and processor:
                    art28_gaps.append(key)
        if gaps:
            reasons.append(f"'{contract.title}' is missing {len(gaps)} required clause(s): "
                           + "; ".join(gaps) + ".")
            fixes.append(f"Add to '{contract.title}': " + "; ".join(gaps)
                         + " (download the missing-clause schedule).")
        if partial:
            reasons.append(f"'{contract.title}' only partly covers: " + "; ".join(partial) + ".")
            fixes.append(f"Strengthen in '{contract.title}': " + "; ".join(partial) + ".")
        if not gaps and not partial:
            reasons.append(f"'{contract.title}' has all {len(contract.required)} required clauses.")
    if possible == 0:
        return float(weight), ["No clauses are required for this supplier's contracts."], [], []
    return weight * earned / possible, reasons, fixes, art28_gaps


# Certification ------------------------------------------------------------------------


@dataclass
class _Held:
    cert: CertificationFacts
    kind: str  # dspt, cyber_essentials, ..., digital_marketplace, own_scheme, other
    label: str
    satisfies: bool
    reason: str | None
    expires_on: dt.date | None
    flags: tuple[str, ...]
    superseded: bool = False


def _kind(cert: CertificationFacts, policy: dict) -> tuple[str, str]:
    if cert.scheme != "other":
        return cert.scheme, LABELS.get(cert.scheme, cert.scheme)
    name = cert.scheme_name.strip()
    lowered = name.lower()
    spec = policy["certification"]
    if any(m in lowered for m in spec["digital_marketplace_names"]):
        return "digital_marketplace", name or LABELS["digital_marketplace"]
    if any(s.lower() in lowered for s in spec["non_it"]["schemes"]):
        return "own_scheme", name
    return "other", name or "a certificate under another scheme"


def _held(facts: SupplierFacts, today: dt.date, policy: dict) -> tuple[list[_Held], list[str]]:
    """Each certification with its validity; a register row supersedes lower DSPT records,
    and a contradiction between them is returned as a gate reason."""
    basic_ce = tuple(c.issued_on for c in facts.certifications
                     if c.scheme == "cyber_essentials" and c.issued_on)
    held = []
    for cert in facts.certifications:
        v = validity(scheme=cert.scheme, today=today, status=cert.status, issued_on=cert.issued_on,
                     expires_on=cert.expires_on, edition=cert.edition,
                     legal_entity=cert.legal_entity, supplier_legal_name=facts.legal_name,
                     scope=cert.scope, accreditation_body=cert.accreditation_body,
                     audited_on=cert.audited_on, basic_ce_issued=basic_ce, cleared=cert.cleared)
        kind, label = _kind(cert, policy)
        held.append(_Held(cert, kind, label, v.satisfies, v.reason, v.expires_on, v.flags))
    contradictions = []
    register = [h for h in held if h.kind == "dspt" and h.cert.verification == "register_verified"]
    if register:
        top = register[0]
        for h in held:
            if h.kind == "dspt" and h.cert.verification != "register_verified":
                h.superseded = True
                if h.satisfies and not top.satisfies:
                    contradictions.append(
                        f"the DSPT register shows '{top.cert.status}' but a "
                        f"{h.cert.verification.replace('_', ' ')} record says '{h.cert.status}'")
                h.satisfies = False
    return held, contradictions


def _credit(h: _Held, the_tier: str, policy: dict) -> float:
    needed = policy["certification"]["full_credit_verification"].get(the_tier)
    if not needed:
        return 1.0
    order = {level: i for i, level in enumerate(VERIFICATION_LEVELS)}
    if order.get(h.cert.verification, 0) >= order[needed]:
        return 1.0
    return policy["certification"]["unverified_credit"]


def _certified(facts: SupplierFacts, the_tier: str, today: dt.date, policy: dict, weight: int
               ) -> tuple[float, list, list, bool, list[str], list[dict]]:
    spec = policy["certification"]
    held, contradictions = _held(facts, today, policy)
    reasons, fixes, records = [], [], []
    for h in held:
        level = h.cert.verification.replace("_", " ")
        records.append({"type": "certification", "id": h.cert.id, "label": h.label,
                        "verification": h.cert.verification, "counts": h.satisfies,
                        "flags": list(h.flags)})
        if h.superseded:
            reasons.append(f"{h.label} '{h.cert.status}' ({level}) is superseded by the DSPT "
                           "register row.")
        elif h.satisfies:
            until = f" until {h.expires_on:%d %B %Y}" if h.expires_on else ""
            reasons.append(f"{h.label} is current{until} ({level}).")
        elif h.reason:
            reasons.append(f"{h.label} ({level}): {h.reason}")
        for flag in h.flags:
            if flag not in (h.reason or ""):
                reasons.append(f"{h.label}: for review: {flag}")
    dspt_ok = any(h.satisfies for h in held if h.kind == "dspt")
    non_it = facts.supplier_type == "non_it"
    if not non_it:
        national = spec["national"]
        ok = [h for h in held if h.satisfies and h.kind in national["any_of"]]
        reasons.insert(0, f"{national['title']}: " + (
            "met by " + ", ".join(dict.fromkeys(h.label for h in ok)) + "." if ok else "not met."))
    bar = spec["non_it" if non_it else "local"][the_tier]
    title = spec["non_it_title" if non_it else "local_title"].format(tier=the_tier)
    line_credits, line_texts = [], []
    for line in bar:
        options = [h for h in held if h.satisfies and h.kind in line]
        credit = max((_credit(h, the_tier, policy) for h in options), default=0.0)
        line_credits.append(credit)
        names = " or ".join(LABELS.get(k, k) for k in line)
        if credit >= 1:
            line_texts.append(f"{names}: yes")
        elif credit > 0:
            line_texts.append(f"{names}: held but not yet checked by a reviewer "
                              f"({spec['full_credit_verification'][the_tier].replace('_', ' ')} "
                              "needed to count in full)")
            fixes.append(f"Verify the {names} certificate (POST /api/v1/certifications/{{id}}/"
                         "verify) after looking it up.")
        else:
            line_texts.append(f"{names}: no")
            fixes.append(f"Obtain evidence of a current {names}"
                         + (" at Standards Met or above." if line == ["dspt"] else "."))
    reasons.insert(1 if not non_it else 0, f"{title}: " + "; ".join(line_texts) + ".")
    points = weight * sum(line_credits) / len(line_credits) if line_credits else float(weight)
    if not held:
        reasons.append("No certification is recorded.")
    return points, reasons, fixes, dspt_ok, contradictions, records


# Due diligence ------------------------------------------------------------------------


def questionnaire_title(key: str) -> str:
    """A questionnaire as a person reads it ("Supplier data security due diligence"), never its
    key: a key no shipped definition has reads as its words."""
    definition = shipped().get(key)
    return definition.title if definition else key.replace("-", " ")


def required_questionnaires(facts: SupplierFacts, the_tier: str, policy: dict) -> list[str]:
    return questionnaires_needed(
        the_tier, processor=any(c.data_role == "processor" and c.personal_data
                                for c in facts.contracts),
        affects_care=bool(facts.affects_care), spec=policy["due_diligence"])


def _due_diligence(facts: SupplierFacts, the_tier: str, today: dt.date, policy: dict,
                   weight: int) -> tuple[float, list, list, list[dict]]:
    window = add_months(today, -policy["assessment_valid_months"])
    needed = required_questionnaires(facts, the_tier, policy)
    reasons = [f"A {the_tier} supplier needs: " + "; ".join(map(questionnaire_title, needed)) + "."]
    fixes, records, shares = [], [], []
    for key in needed:
        title = questionnaire_title(key)
        mine = sorted((a for a in facts.assessments if a.definition_key == key),
                      key=lambda a: a.decided_at or dt.date.min, reverse=True)
        accepted = [a for a in mine if a.status == State.accepted and a.decided_at]
        recent = [a for a in accepted if a.decided_at >= window
                  and (a.expires_on is None or a.expires_on >= today)]
        if not recent:
            shares.append(0.0)
            if accepted:
                reasons.append(f"{title}: the last accepted one ({accepted[0].decided_at:%d %B %Y}) "
                               "is more than 12 months old.")
                fixes.append(f"Send this year's {title} questionnaire.")
            elif any(a.status in states.PENDING for a in mine):
                reasons.append(f"{title}: in progress, not yet accepted.")
                fixes.append(f"Chase the supplier for {title} and review it when submitted.")
            else:
                reasons.append(f"{title}: none accepted.")
                fixes.append(f"Send the {title} questionnaire.")
            continue
        latest = recent[0]
        records.append({"type": "reused_assessment" if latest.reused_from else "assessment",
                        "id": latest.id, "definition": key,
                        "decided_on": latest.decided_at.isoformat(),
                        "compliant": latest.compliant, "scorable": latest.scorable,
                        "evidenced": latest.evidenced, "checked": latest.checked})
        if latest.compliance_share is None:
            shares.append(0.0)
            reasons.append(f"{key}: accepted on {latest.decided_at:%d %B %Y} but nothing in it "
                           "is scorable, so it earns nothing.")
            fixes.append(f"Send a {key} questionnaire with scored questions.")
            continue
        shares.append(latest.compliance_share)
        if latest.reused_from:
            reasons.append(f"{key}: reused, {latest.reused_from} (its answers count as "
                           "reused, less than our own review); valid until "
                           f"{latest.expires_on:%d %B %Y}.")
        reasons.append(f"{key}: accepted on {latest.decided_at:%d %B %Y}; {latest.compliant} of "
                       f"{latest.scorable} compliant, {latest.evidenced} evidenced, "
                       f"{latest.checked} checked by a reviewer ({latest.compliance_share:.0%} "
                       "after weighting by how each answer is backed).")
        for failing in latest.failing:
            reasons.append(f"{key}: fails '{failing.text}' (answered: {failing.answer}).")
        if latest.compliance_share < 0.999:
            fixes.append(f"Follow up the {key} answers that do not meet the requirement, and "
                         "ask for evidence where only an assertion was given.")
    others = [a for a in facts.assessments if a.definition_key not in needed
              and a.status == State.accepted]
    for a in others:
        reasons.append(f"{a.definition_key} (accepted) is recorded but does not stand in for "
                       "the due diligence questionnaires.")
    return weight * (sum(shares) / len(shares) if shares else 0.0), reasons, fixes, records


# Risks ---------------------------------------------------------------------------------


def _risks(facts: SupplierFacts, weight: int) -> tuple[float, list, list]:
    open_items = [r for r in facts.risks if r.is_open]
    unowned = [r for r in open_items if not (r.owner.strip() and r.mitigation.strip())]
    unowned_high = [r for r in unowned if r.severity == "high" and r.kind in ("risk", "incident")]
    disputes_without_risk = [r for r in facts.risks if r.kind == "dispute"
                             and not r.data_security_risk.strip()]
    points = float(weight)
    reasons, fixes = [], []
    if unowned_high:
        points = 0.0
        reasons.append(f"{len(unowned_high)} open high-severity risk(s) or incident(s) without "
                       "an owner and a mitigation: "
                       + ", ".join(f"'{r.title or r.kind}'" for r in unowned_high) + ".")
        fixes.append("Give each open high risk and incident a mitigation owner and a mitigation.")
    if disputes_without_risk:
        points = max(0.0, points - weight / 2)
        reasons.append(f"{len(disputes_without_risk)} dispute(s) recorded without their "
                       "data-security risk.")
        fixes.append("Record the data-security risk each dispute poses.")
    other_unowned = [r for r in unowned if r not in unowned_high]
    if other_unowned:
        reasons.append(f"{len(other_unowned)} other open item(s) without an owner and a "
                       "mitigation (no points lost below high severity).")
    if not open_items:
        reasons.append("No open risks, disputes or incidents.")
    elif not unowned:
        kinds = sorted({r.kind for r in open_items})
        reasons.append(f"{len(open_items)} open item(s) ({', '.join(kinds)}), each with an owner "
                       "and a mitigation.")
    return points, reasons, fixes


# Caps ----------------------------------------------------------------------------------


def _cap(key: str, kind: str, reason: str, facts: SupplierFacts, today: dt.date,
         risk: RiskFacts | None = None) -> Cap:
    """A red cap, turned amber by a current acceptance of its risk."""
    candidates = [risk] if risk is not None else [
        r for r in facts.risks if r.gate == key and r.status == "open"]
    for r in candidates:
        accepted = r.acceptance(today)
        if accepted:
            return Cap(key, kind, "amber", reason, accepted, r.id)
    lapsed = next((r.lapsed(today) for r in candidates if r.lapsed(today)), None)
    return Cap(key, kind, "red", reason + (f" ({lapsed})" if lapsed else ""), None,
               candidates[0].id if candidates else None)


def _caps(facts: SupplierFacts, the_tier: str, today: dt.date, policy: dict, *,
          art28_gaps: list[str], dspt_ok: bool, contradictions: list[str]) -> list[Cap]:
    gates = policy["gates"]
    caps = []
    if gates.get("processing_without_contract") and processes_personal_data(facts) \
            and not active_contracts(facts, today):
        ended = [c for c in facts.contracts if c.end_date and c.end_date < today]
        caps.append(_cap("processing_without_contract", "gate",
                         "Processing without a contract: it handles personal data and has no "
                         "current contract" + (f" ('{ended[0].title}' ended on "
                                               f"{ended[0].end_date:%d %B %Y})" if ended else "")
                         + ".", facts, today))
    if gates.get("processor_missing_art28") and art28_gaps:
        caps.append(_cap("processor_missing_art28", "gate",
                         "A contract under which it processes personal data lacks Article 28 "
                         "terms: " + "; ".join(clause_label(k) for k in sorted(set(art28_gaps)))
                         + ".", facts, today))
    if gates.get("critical_without_dspt") and the_tier == "critical" and not dspt_ok:
        caps.append(_cap("critical_without_dspt", "gate",
                         "A critical supplier needs a current DSPT at Standards Met or Exceeded.",
                         facts, today))
    if gates.get("dspt_contradiction") and contradictions:
        caps.append(_cap("dspt_contradiction", "gate",
                         "The DSPT records contradict each other: " + "; ".join(contradictions)
                         + ".", facts, today))
    if gates.get("open_high_incident"):
        for r in facts.risks:
            if r.kind == "incident" and r.severity == "high" and r.is_open:
                owned = bool(r.owner.strip() and r.mitigation.strip())
                cap = _cap(f"incident:{r.id}", "incident",
                           f"An open high-severity incident: '{r.title}'"
                           + ("" if owned else ", with no owner and mitigation") + ".",
                           facts, today, risk=r)
                if owned and cap.rating == "red":
                    cap.rating = "amber"  # owned and being handled: not green while open
                caps.append(cap)
    for r in facts.risks:
        if r.source_key and r.source_key.startswith("knockout:") and r.is_open:
            caps.append(_cap(r.source_key, "knockout",
                             f"Knock-out answer: {r.title}"
                             + (f" (breaks: {r.criterion})" if r.criterion else "") + ".",
                             facts, today, risk=r))
    return caps


def score(facts: SupplierFacts, *, today: dt.date, policy: dict | None = None) -> Score:
    policy = policy or load_policy()
    spec = policy["criteria"]
    contracts = active_contracts(facts, today)
    the_tier, tier_reasons = tier_with_reasons(facts, today, policy)
    criteria: list[Criterion] = []

    def add(key: str, points: float, reasons: list, fixes: list, records: list | None = None
            ) -> None:
        weight = spec[key]["weight"]
        criteria.append(Criterion(key, spec[key]["title"], points, weight,
                                  points >= weight - 1e-9, reasons, list(spec[key]["evidences"]),
                                  fixes, records or []))

    points, reasons, fixes = _known(facts, contracts, spec["known"]["weight"])
    add("known", points, tier_reasons + reasons, fixes)
    points, reasons, fixes, art28_gaps = _contracted(contracts, policy,
                                                     spec["contracted"]["weight"])
    add("contracted", points, reasons, fixes,
        [{"type": "contract", "id": c.id, "title": c.title} for c in contracts])
    points, reasons, fixes, dspt_ok, contradictions, records = _certified(
        facts, the_tier, today, policy, spec["certified"]["weight"])
    add("certified", points, reasons, fixes, records)
    points, reasons, fixes, records = _due_diligence(facts, the_tier, today, policy,
                                                     spec["due_diligence"]["weight"])
    add("due_diligence", points, reasons, fixes, records)
    points, reasons, fixes = _risks(facts, spec["risks"]["weight"])
    add("risks", points, reasons, fixes,
        [{"type": r.kind, "id": r.id, "title": r.title, "status": r.status}
         for r in facts.risks if r.is_open])

    total = round(sum(c.points for c in criteria))
    caps = _caps(facts, the_tier, today, policy, art28_gaps=art28_gaps, dspt_ok=dspt_ok,
                 contradictions=contradictions)
    thresholds = policy["thresholds"]
    if total < thresholds["amber"]:
        rating = "red"
    elif total < thresholds["green"]:
        rating = "amber"
    else:
        rating = "green"
    for cap in caps:
        if RATINGS.index(cap.rating) < RATINGS.index(rating):
            rating = cap.rating
    gates = [(f"Red whatever the points: {c.reason}" if c.rating == "red" else
              f"Amber at most: {c.reason}" + (f" — {c.acceptance}" if c.acceptance else ""))
             for c in caps]
    return Score(total, rating, the_tier, criteria, gates, caps, tier_reasons)
