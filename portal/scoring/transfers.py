"""Is a sub-processor offshore without a safeguard? Plain values (the policy says which
place names mean the UK and which transfer mechanisms are no safeguard)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def places(location: str) -> list[str]:
    return [p.strip().lower() for p in re.split(r"[,;/]|\band\b", location or "") if p.strip()]


def offshore(location: str, policy: Mapping[str, Any]) -> list[str]:
    """The places named that are not the UK (an empty location is not known to be offshore)."""
    uk = {name.lower() for name in policy["uk_names"]}
    return [p for p in places(location) if p not in uk]


def unsafe_transfer(location: str, mechanism: str, policy: Mapping[str, Any]) -> list[str]:
    """The offshore places when the mechanism is no safeguard; empty when it is fine."""
    if mechanism not in policy["no_safeguard"]:
        return []
    return offshore(location, policy)
