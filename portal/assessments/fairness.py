"""Who a new submission waits on, and how long work has waited: plain rules over plain values.

Round robin that stays fair when people leave, join or are given work by hand: the reviewer
with the fewest open items, then the one assigned to longest ago (never assigned first), then
the lowest id, so two runs over the same loads always pick the same person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

ROUND_ROBIN = "round_robin"
UNASSIGNED = "unassigned"
POLICIES: dict[str, str] = {
    ROUND_ROBIN: "Share submissions out in turn among the reviewers",
    UNASSIGNED: "Leave submissions unassigned for reviewers to pick up",
}

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class ReviewerLoad:
    user_id: int
    open_items: int = 0
    last_assigned_at: dt.datetime | None = None


def choose_reviewer(loads: Sequence[ReviewerLoad]) -> int | None:
    if not loads:
        return None
    best = min(loads, key=lambda r: (r.open_items, r.last_assigned_at or _EPOCH, r.user_id))
    return best.user_id


def policy_or_default(value: str | None) -> str:
    return value if value in POLICIES else ROUND_ROBIN


def age_days(since: dt.datetime | dt.date | None, today: dt.date) -> int | None:
    """Whole days something has waited (0 on the day it arrived); None when it hasn't."""
    if since is None:
        return None
    day = since.date() if isinstance(since, dt.datetime) else since
    return max(0, (today - day).days)
