"""The action plan: from the pack's gaps to actions a person can own (plain Python).

A gap is one shortfall the pack found: a missing or partial clause in a contract, a
certificate the supplier's tier needs, due diligence not done, an attestation the IG lead
has not made, a CAF statement not met. `plan()` turns them into actions worded with clause
titles and legal references, owned by the role whose work closes them, prioritised by the
supplier's tier and due a number of days after the "as at" date that depends on priority
(all policy, in actions.yaml), grouped per supplier so that one contract variation closes
every clause gap in that contract.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from portal.contracts.library import clause_label

POLICY_FILE = Path(__file__).parent / "actions.yaml"
ORGANISATION_WIDE = "Organisation-wide"
KINDS = ("clause", "contract", "certificate", "due_diligence", "register", "particulars",
         "subprocessors", "transfer", "access", "connection", "attestation", "statement", "risk")


@lru_cache(maxsize=1)
def load_policy() -> dict[str, Any]:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


def clause_words(key: str) -> str:
    """'Audit and information (UK GDPR Article 28(3)(h))': a clause as a person reads it."""
    return clause_label(key)


@dataclass(frozen=True)
class Gap:
    supplier: str  # the supplier's name; "" for a gap of the organisation's own
    tier: str | None  # critical, elevated, baseline (None: no supplier)
    kind: str  # one of KINDS
    subject: str = ""  # clause key, certificate wanted, statement or attestation text, risk title
    contract: str = ""  # the contract a clause gap is in
    detail: str = ""  # why, in words (shown after the action)


@dataclass(frozen=True)
class Action:
    supplier: str
    action: str
    owner: str
    priority: str
    due: dt.date
    kind: str
    gaps: int = 1  # how many of the pack's gaps this action closes


@dataclass
class SupplierPlan:
    supplier: str
    tier: str | None
    priority: str
    due: dt.date
    actions: list[Action] = field(default_factory=list)


def priority_of(tier: str | None, policy: dict[str, Any]) -> str:
    if tier is None:
        return policy["priority_organisation_wide"]
    return policy["priority_by_tier"].get(tier, policy["priority_order"][-1])


def _join(parts: Iterable[str]) -> str:
    parts = list(dict.fromkeys(p for p in parts if p))
    return "; ".join(parts)


def _wording(kind: str, subjects: list[str], contract: str, details: list[str],
             words: Callable[[str], str]) -> str:
    why = _join(details)
    tail = f" ({why})" if why else ""
    if kind == "clause":
        return (f"Agree a contract variation to '{contract}' adding: "
                f"{_join(words(s) for s in subjects)}.")
    if kind == "contract":
        return f"Put a current contract in place{f' for {contract!r}' if contract else ''}" \
               f" with the data protection terms it needs{tail}."
    if kind == "certificate":
        return f"Obtain and record evidence of {_join(subjects)}{tail}."
    if kind == "due_diligence":
        return f"Send, chase and review the due-diligence questionnaire{tail}."
    if kind == "register":
        return f"Complete the register entry: {_join(subjects)}{tail}."
    refs = f" (CAF A4.a {', '.join(dict.fromkeys(subjects))}{': ' + why if why else ''})"
    if kind == "particulars":
        return ("Record what of our data it holds: the data role, the processing particulars "
                f"(types of data, nature and purpose) and where it is held{refs}.")
    if kind == "subprocessors":
        return f"Ask for its sub-processors and record each with where it processes our data{refs}."
    if kind == "transfer":
        return ("Record where our data is held and, outside the UK, agree a lawful transfer "
                "safeguard (UK adequacy, an IDTA or the UK Addendum with a transfer risk "
                f"assessment){refs}.")
    if kind == "access":
        return f"Restrict its access to our systems and monitor it{refs}."
    if kind == "connection":
        return f"Get assurance that its connection to our network meets our security requirements{refs}."
    if kind == "attestation":
        return f"Make the attestation: {_join(subjects)}."
    if kind == "statement":
        return f"Meet CAF A4.a: {_join(subjects)}{tail}."
    if kind == "risk":
        return f"Give each open risk an owner and a mitigation: {_join(subjects)}."
    raise ValueError(f"unknown gap kind {kind!r}")


def plan(gaps: Iterable[Gap], *, as_at: dt.date, policy: dict[str, Any] | None = None,
         words: Callable[[str], str] = clause_words) -> list[SupplierPlan]:
    """The action plan: one SupplierPlan per supplier (organisation-wide first, then by
    priority and name), each with one action per contract variation or kind of gap."""
    policy = policy or load_policy()
    order = {p: i for i, p in enumerate(policy["priority_order"])}
    grouped: dict[tuple[str, str, str], list[Gap]] = {}
    tiers: dict[str, str | None] = {}
    for gap in gaps:
        if gap.kind not in KINDS:
            raise ValueError(f"unknown gap kind {gap.kind!r}")
        # one action per contract for clauses and contracts; per kind for the rest
        place = gap.contract if gap.kind in ("clause", "contract") else ""
        grouped.setdefault((gap.supplier, gap.kind, place), []).append(gap)
        tiers.setdefault(gap.supplier, gap.tier)
    plans: dict[str, SupplierPlan] = {}
    for (supplier, kind, place), items in grouped.items():
        tier = tiers[supplier]
        priority = priority_of(tier if supplier else None, policy)
        due = as_at + dt.timedelta(days=policy["due_days_by_priority"][priority])
        text = _wording(kind, [g.subject for g in items], place, [g.detail for g in items], words)
        name = supplier or ORGANISATION_WIDE
        entry = plans.setdefault(name, SupplierPlan(name, tier if supplier else None, priority, due))
        entry.actions.append(Action(supplier=name, action=text, owner=policy["owners"][kind],
                                    priority=priority, due=due, kind=kind, gaps=len(items)))
    for entry in plans.values():
        entry.actions.sort(key=lambda a: (KINDS.index(a.kind), a.action))
    return sorted(plans.values(), key=lambda p: (p.supplier != ORGANISATION_WIDE,
                                                 order.get(p.priority, len(order)), p.supplier))


def rows(plans: list[SupplierPlan]) -> list[tuple[str, str, str, str, str]]:
    """(supplier, action, owner, priority, due) for a table, the supplier named once."""
    out = []
    for entry in plans:
        for i, action in enumerate(entry.actions):
            out.append((entry.supplier if i == 0 else "", action.action, action.owner,
                        action.priority, action.due.strftime("%d %b %Y")))
    return out
