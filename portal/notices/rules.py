"""Notice windows and what a decision allows, on plain values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

POLICY_FILE = Path(__file__).with_name("policy.yaml")
CHANGES = ("add", "replace", "remove")
DECISIONS = {"no_objection": "No objection", "objection": "Objection",
             "accepted_with_conditions": "Accepted with conditions"}


def load_policy() -> dict[str, Any]:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


def deadline(received: dt.date, policy: dict[str, Any]) -> dt.date:
    return received + dt.timedelta(days=int(policy["objection_days"]))


def days_left(objection_deadline: dt.date, today: dt.date) -> int:
    return (objection_deadline - today).days


def reminder_due(objection_deadline: dt.date, today: dt.date, policy: dict[str, Any]) -> bool:
    return days_left(objection_deadline, today) <= int(policy["reminder_days_before"])


def may_apply(*, status: str, decision: str, intended_start: dt.date, objection_deadline: dt.date,
              today: dt.date) -> bool:
    """On its start date a change we didn't object to reaches the register: decided without
    objection, or still undecided once the objection window has passed (silence is no
    objection under general authorisation)."""
    if intended_start > today or status not in ("open", "decided"):
        return False
    if status == "open":
        return objection_deadline < today
    return decision in ("no_objection", "accepted_with_conditions")
