"""Certificate validity (domain.md §2) as plain functions over plain values.

No framework imports: the API, pages, scoring, reports and CLI all ask these.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

ISO27001_2013_VOID_FROM = dt.date(2025, 10, 31)
VERIFICATION_LEVELS = ("self_declared", "evidence_uploaded", "reviewer_checked", "register_verified")
DSPT_LEVELS = {
    "standards exceeded": "exceeded",
    "standards met": "met",
    "approaching standards": "approaching",
    "standards not met": "not_met",
    "not published": "not_published",
}
DSPT_LEVEL_LABELS = {v: k.title() for k, v in DSPT_LEVELS.items()}
_DSPT_STATUS = re.compile(r"^\s*(?:(\d{2})\s*/\s*(\d{2})\s+)?(.+?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class DsptStatus:
    year_start: int | None  # 2024 for "24/25"
    year_end: int | None  # 2025 for "24/25"
    level: str  # exceeded, met, approaching, not_met, not_published, unknown

    @property
    def toolkit_year(self) -> str | None:
        if self.year_start is None or self.year_end is None:
            return None
        return f"{self.year_start % 100:02d}/{self.year_end % 100:02d}"

    @property
    def current_until(self) -> dt.date | None:
        """A status for toolkit year AA/BB counts until 30 June of 20BB+1."""
        return dt.date(self.year_end + 1, 6, 30) if self.year_end else None


@lru_cache(maxsize=1024)  # a register repeats a handful of statuses thousands of times
def parse_dspt_status(text: str | None) -> DsptStatus:
    """'24/25 Standards Met' -> DsptStatus(2024, 2025, 'met')."""
    match = _DSPT_STATUS.match(text or "")
    if not match:
        return DsptStatus(None, None, "unknown")
    start, end, words = match.groups()
    words = re.sub(r"\s+", " ", words.lower()).strip()
    level = "unknown"
    for label, key in DSPT_LEVELS.items():
        if words.startswith(label):
            level = key
            break
    if start is None or end is None:
        return DsptStatus(None, None, level)
    year_start, year_end = 2000 + int(start), 2000 + int(end)
    if year_end != year_start + 1:
        return DsptStatus(None, None, level)
    return DsptStatus(year_start, year_end, level)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day some months on, or that month's last day (31 January + 1 = 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Validity:
    current: bool
    expires_on: dt.date | None
    reason: str | None  # why not current (or why only partly useful)
    satisfies: bool  # counts towards a requirement (DSPT needs Met or Exceeded)
    partial: bool = False  # DSPT Approaching Standards
    level: str | None = None  # DSPT level
    flags: tuple[str, ...] = ()  # things a reviewer should look at


def derived_expiry(scheme: str, issued_on: dt.date | None, expires_on: dt.date | None,
                   status: str = "") -> dt.date | None:
    """The expiry date, derived from the issue date where the scheme fixes it."""
    if scheme == "dspt":
        return parse_dspt_status(status).current_until
    if expires_on is not None:
        return expires_on
    if issued_on is None:
        return None
    if scheme in ("cyber_essentials", "cyber_essentials_plus"):
        return add_months(issued_on, 12) - dt.timedelta(days=1)
    if scheme == "iso27001":
        return add_months(issued_on, 36) - dt.timedelta(days=1)
    return None


def validity(*, scheme: str, today: dt.date, status: str = "", issued_on: dt.date | None = None,
             expires_on: dt.date | None = None, edition: str = "", legal_entity: str = "",
             supplier_legal_name: str = "", scope: str = "") -> Validity:
    flags = tuple(_coverage_flags(legal_entity, supplier_legal_name, scope))
    if scheme == "dspt":
        parsed = parse_dspt_status(status)
        until = parsed.current_until
        label = DSPT_LEVEL_LABELS.get(parsed.level, "an unrecognised status")
        if parsed.level == "unknown" or until is None:
            if parsed.level == "not_published":
                return Validity(False, None, "No DSPT assessment is published.", False,
                                level=parsed.level, flags=flags)
            return Validity(False, None, f"The status '{status}' is not a DSPT status such as "
                                         "'24/25 Standards Met'.", False, level=parsed.level,
                            flags=flags)
        if today > until:
            return Validity(False, until, f"The {parsed.toolkit_year} toolkit status stopped "
                                          f"counting on {until:%d %B %Y}; a newer publication "
                                          "is needed.", False, level=parsed.level, flags=flags)
        if parsed.level in ("met", "exceeded"):
            return Validity(True, until, None, True, level=parsed.level, flags=flags)
        if parsed.level == "approaching":
            return Validity(True, until, "Approaching Standards counts only in part: Standards "
                                         "Met is required.", False, partial=True,
                            level=parsed.level, flags=flags)
        return Validity(True, until, f"{label} does not meet the requirement (Standards Met).",
                        False, level=parsed.level, flags=flags)

    expiry = derived_expiry(scheme, issued_on, expires_on, status)
    if scheme == "iso27001" and edition.strip().startswith("2013") and today >= ISO27001_2013_VOID_FROM:
        return Validity(False, min(expiry, ISO27001_2013_VOID_FROM) if expiry else
                        ISO27001_2013_VOID_FROM,
                        "ISO/IEC 27001:2013 certificates stopped being valid on 31 October 2025; "
                        "a 2022-edition certificate is needed.", False, flags=flags)
    if issued_on is not None and issued_on > today:
        return Validity(False, expiry, f"The certificate is dated in the future ({issued_on}).",
                        False, flags=flags)
    if expiry is None:
        if scheme in ("cyber_essentials", "cyber_essentials_plus", "iso27001"):
            return Validity(False, None, "No issue or expiry date is recorded, so its validity "
                                         "can't be checked.", False, flags=flags)
        return Validity(True, None, None, True, flags=flags)
    if today > expiry:
        names = {"cyber_essentials": "Cyber Essentials certificate",
                 "cyber_essentials_plus": "Cyber Essentials Plus certificate",
                 "iso27001": "ISO/IEC 27001 certificate"}
        return Validity(False, expiry, f"The {names.get(scheme, 'certificate')} expired on "
                                       f"{expiry:%d %B %Y}.", False, flags=flags)
    return Validity(True, expiry, None, True, flags=flags)


def _normalise(name: str) -> str:
    name = re.sub(r"[^a-z0-9 ]", " ", name.lower())
    name = re.sub(r"\b(limited|ltd|plc|llp|uk|the|group|holdings)\b", " ", name)
    return re.sub(r"\s+", " ", name).strip()


def _coverage_flags(legal_entity: str, supplier_legal_name: str, scope: str) -> list[str]:
    flags = []
    if legal_entity and supplier_legal_name and _normalise(legal_entity) != _normalise(
            supplier_legal_name):
        flags.append(f"The certificate names '{legal_entity}', not the supplier's legal entity "
                     f"'{supplier_legal_name}'.")
    if scope and re.search(r"\b(excluding|excludes|only the|limited to)\b", scope, re.IGNORECASE):
        flags.append("The certificate's scope is limited; check it covers the service supplied.")
    return flags


def ce_plus_audit_in_time(basic_issued_on: dt.date | None, audited_on: dt.date | None) -> bool:
    """The CE+ audit must follow a basic Cyber Essentials certificate within 3 months."""
    if basic_issued_on is None or audited_on is None:
        return False
    return basic_issued_on <= audited_on <= add_months(basic_issued_on, 3)


def higher_verification(a: str, b: str) -> str:
    order = {level: i for i, level in enumerate(VERIFICATION_LEVELS)}
    return a if order.get(a, 0) >= order.get(b, 0) else b


@dataclass(frozen=True)
class Expiring:
    id: int
    expires_on: dt.date
    days_left: int


def expiring_within(items: Iterable[tuple[int, dt.date | None]], *, today: dt.date,
                    days: int) -> list[Expiring]:
    """Items (id, expiry) that are still current and expire within ``days`` days."""
    out = []
    for item_id, expiry in items:
        if expiry is None:
            continue
        left = (expiry - today).days
        if 0 <= left <= days:
            out.append(Expiring(item_id, expiry, left))
    return sorted(out, key=lambda e: e.expires_on)
