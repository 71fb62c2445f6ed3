"""Certificate validity (domain.md §2) as plain functions over plain values.

No framework imports: the API, pages, scoring, reports and CLI all ask these.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from portal.core.dates import add_months

SCHEMES_FILE = Path(__file__).parent / "schemes.yaml"
VERIFICATION_LEVELS = ("self_declared", "evidence_uploaded", "reviewer_checked", "register_verified")
DSPT_LEVELS = {  # longest first: "standards not fully met" before "standards not met"
    "standards exceeded": "exceeded",
    "standards met": "met",
    "approaching standards": "approaching",
    "standards not fully met": "plan_agreed",  # "Standards Not Fully Met (Plan Agreed)"
    "standards not met": "not_met",
    "not published": "not_published",
}
DSPT_LEVEL_LABELS = {"exceeded": "Standards Exceeded", "met": "Standards Met",
                     "approaching": "Approaching Standards",
                     "plan_agreed": "Standards Not Fully Met (Plan Agreed)",
                     "not_met": "Standards Not Met", "not_published": "Not Published"}
_DSPT_STATUS = re.compile(r"^\s*(?:(\d{2})\s*/\s*(\d{2})\s+)?(.+?)\s*$", re.IGNORECASE)
_EDITION = re.compile(r"(?:^|[^0-9])(2005|2013|2022)(?![0-9])")


@lru_cache(maxsize=4)
def load_schemes(path: str | None = None) -> dict[str, Any]:
    return yaml.safe_load(Path(path or SCHEMES_FILE).read_text(encoding="utf-8"))


def _iso_dates() -> tuple[dt.date, dt.date]:
    iso = load_schemes()["iso27001"]
    return iso["edition_2013_last_valid"], iso["edition_2013_last_issued"]


def iso_edition(text: str | None) -> str | None:
    """'ISO/IEC 27001:2013', '27001:2013', '2013', 'ISO 27001 2022' -> '2013' / '2022'."""
    match = _EDITION.search((text or "").strip())
    return match.group(1) if match else None


def toolkit_year_dates(year_start: int, year_end: int) -> tuple[dt.date, dt.date]:
    """(opens, deadline) of toolkit year AA/BB, from schemes.yaml (30 June 20BB if absent)."""
    key = f"{year_start % 100:02d}/{year_end % 100:02d}"
    known = (load_schemes()["dspt"].get("toolkit_years") or {}).get(key) or {}
    return (known.get("opens") or dt.date(year_start, 7, 1),
            known.get("deadline") or dt.date(year_end, 6, 30))


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
        """A status for toolkit year AA/BB counts until the next year's deadline (30 June
        20BB+1); the deadlines are data (schemes.yaml)."""
        if not self.year_end:
            return None
        return toolkit_year_dates(self.year_end, self.year_end + 1)[1]

    @property
    def opens(self) -> dt.date | None:
        return toolkit_year_dates(self.year_start, self.year_end)[0] if self.year_start else None


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




@dataclass(frozen=True)
class Validity:
    current: bool
    expires_on: dt.date | None
    reason: str | None  # why not current (or why only partly useful)
    satisfies: bool  # counts towards a requirement (DSPT needs Met or Exceeded)
    partial: bool = False  # DSPT Approaching Standards or Plan Agreed
    level: str | None = None  # DSPT level
    flags: tuple[str, ...] = ()  # things a reviewer should look at (messages)
    flag_codes: tuple[str, ...] = ()  # the same flags by code (legal_entity, scope, ...)
    cleared: tuple[str, ...] = ()  # flags a reviewer cleared


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
        months = load_schemes()["cyber_essentials"]["valid_months"]
        return add_months(issued_on, months) - dt.timedelta(days=1)
    return None  # ISO/IEC 27001 and other schemes: only a stated expiry date counts


def review_flags(*, scheme: str, status: str = "", issued_on: dt.date | None = None,
                 edition: str = "", accreditation_body: str = "", audited_on: dt.date | None = None,
                 basic_ce_issued: tuple[dt.date, ...] = (), legal_entity: str = "",
                 supplier_legal_name: str = "", scope: str = "") -> list[tuple[str, str]]:
    """(code, message) for each thing a reviewer should check on this certificate."""
    return _coverage_flags(legal_entity, supplier_legal_name, scope) + _scheme_flags(
        scheme, status, issued_on, edition, accreditation_body, audited_on, basic_ce_issued)


def _scheme_flags(scheme: str, status: str, issued_on: dt.date | None, edition: str,
                  accreditation_body: str, audited_on: dt.date | None,
                  basic_ce_issued: tuple[dt.date, ...]) -> list[tuple[str, str]]:
    """The flags that follow from the scheme's own rules (not from whom it names)."""
    flags: list[tuple[str, str]] = []
    if scheme == "iso27001":
        last_valid, last_issued = _iso_dates()
        if not edition.strip() and issued_on is not None and issued_on <= last_issued:
            flags.append(("edition_unknown", "No edition is recorded and the certificate was "
                          f"issued by {last_issued:%d %B %Y}: it may be a 2013-edition "
                          f"certificate, void after {last_valid:%d %B %Y}."))
        elif edition.strip() and iso_edition(edition) is None:
            flags.append(("edition_unknown", f"The edition {edition!r} is not recognised "
                          "(2013 or 2022)."))
        bodies = [b.lower() for b in load_schemes()["iso27001"]["accreditation_bodies"]]
        given = accreditation_body.strip().lower()
        if not given:
            flags.append(("accreditation", "No accreditation body is recorded: check on UKAS "
                          "CertCheck that the certification body is accredited (UKAS or "
                          "another IAF MLA member)."))
        elif not any(b == given or b in given.split() or given.startswith(b) for b in bodies):
            flags.append(("accreditation", f"The accreditation body {accreditation_body!r} is "
                          "not UKAS or a known IAF MLA member; check it."))
    if scheme == "cyber_essentials_plus":
        months = load_schemes()["cyber_essentials"]["ce_plus_basic_within_months"]
        audit = audited_on or issued_on
        if not any(ce_plus_audit_in_time(basic, audit, months=months) for basic in basic_ce_issued):
            flags.append(("ce_plus_basic", "No basic Cyber Essentials certificate issued in the "
                          f"{months} months before the Cyber Essentials Plus audit is recorded."))
    if scheme == "dspt" and issued_on is not None:
        parsed = parse_dspt_status(status)
        if parsed.year_start and (issued_on < parsed.opens or issued_on > parsed.current_until):
            flags.append(("dspt_publication", f"The publication date {issued_on:%d %B %Y} is "
                          f"outside the {parsed.toolkit_year} toolkit year "
                          f"({parsed.opens:%d %B %Y} to {parsed.current_until:%d %B %Y})."))
    return flags


def validity(*, scheme: str, today: dt.date, status: str = "", issued_on: dt.date | None = None,
             expires_on: dt.date | None = None, edition: str = "", legal_entity: str = "",
             supplier_legal_name: str = "", scope: str = "", accreditation_body: str = "",
             audited_on: dt.date | None = None, basic_ce_issued: tuple[dt.date, ...] = (),
             cleared: tuple[str, ...] | list[str] = ()) -> Validity:
    # Whom the certificate names is read for each one (every supplier's name differs); the
    # rest is kept by value, below.
    coverage = tuple(_coverage_flags(legal_entity, supplier_legal_name, scope)) \
        if legal_entity or scope else ()
    return _validity_of(scheme, today, status, issued_on, expires_on, edition, coverage,
                        accreditation_body, audited_on, tuple(basic_ce_issued), tuple(cleared))


# A pure function of plain values, asked once per certificate by every score, list and
# report: a portfolio repeats the same scheme, status and dates many times, so the answers
# are kept (Validity is frozen, so a kept one can't be changed by whoever asked). The
# coverage flags come in as values so that a supplier's name doesn't make every key unique.
@lru_cache(maxsize=65536)
def _validity_of(scheme: str, today: dt.date, status: str, issued_on: dt.date | None,
                 expires_on: dt.date | None, edition: str,
                 coverage: tuple[tuple[str, str], ...], accreditation_body: str,
                 audited_on: dt.date | None, basic_ce_issued: tuple[dt.date, ...],
                 cleared: tuple[str, ...]) -> Validity:
    found = list(coverage) + _scheme_flags(scheme, status, issued_on, edition,
                                           accreditation_body, audited_on, basic_ce_issued)
    cleared = tuple(c for c in cleared if c in {code for code, _ in found})
    open_flags = [(code, message) for code, message in found if code not in cleared]
    extra = {"flags": tuple(m for _, m in open_flags),
             "flag_codes": tuple(c for c, _ in open_flags), "cleared": cleared}
    result = _validity(scheme=scheme, today=today, status=status, issued_on=issued_on,
                       expires_on=expires_on, edition=edition, extra=extra)
    blocking = [m for c, m in open_flags if c in load_schemes()["blocking_flags"]]
    if result.satisfies and blocking:
        return Validity(result.current, result.expires_on, "Does not count until a reviewer "
                        "clears it: " + " ".join(blocking), False, result.partial, result.level,
                        **extra)
    return result


def _validity(*, scheme: str, today: dt.date, status: str, issued_on: dt.date | None,
              expires_on: dt.date | None, edition: str, extra: dict) -> Validity:
    if scheme == "dspt":
        parsed = parse_dspt_status(status)
        until = parsed.current_until
        label = DSPT_LEVEL_LABELS.get(parsed.level, "an unrecognised status")
        if parsed.level == "unknown" or until is None:
            if parsed.level == "not_published":
                return Validity(False, None, "No DSPT assessment is published.", False,
                                level=parsed.level, **extra)
            return Validity(False, None, f"The status '{status}' is not a DSPT status such as "
                                         "'24/25 Standards Met'.", False, level=parsed.level,
                            **extra)
        if today > until:
            return Validity(False, until, f"The {parsed.toolkit_year} toolkit status stopped "
                                          f"counting on {until:%d %B %Y}; a newer publication "
                                          "is needed.", False, level=parsed.level, **extra)
        if parsed.level in ("met", "exceeded"):
            return Validity(True, until, None, True, level=parsed.level, **extra)
        if parsed.level in ("approaching", "plan_agreed"):
            return Validity(True, until, f"{label} counts only in part: Standards Met is "
                                         "required.", False, partial=True,
                            level=parsed.level, **extra)
        return Validity(True, until, f"{label} does not meet the requirement (Standards Met).",
                        False, level=parsed.level, **extra)

    expiry = derived_expiry(scheme, issued_on, expires_on, status)
    last_valid, _ = _iso_dates()
    if scheme == "iso27001" and iso_edition(edition) == "2013" and today > last_valid:
        return Validity(False, min(expiry, last_valid) if expiry else last_valid,
                        f"ISO/IEC 27001:2013 certificates were valid up to {last_valid:%d %B %Y} "
                        "and are void since; a 2022-edition certificate is needed.", False,
                        **extra)
    if issued_on is not None and issued_on > today:
        return Validity(False, expiry, f"The certificate is dated in the future ({issued_on:%d %B %Y}).",
                        False, **extra)
    if expiry is None:
        if scheme in ("cyber_essentials", "cyber_essentials_plus"):
            return Validity(False, None, "No issue date is recorded, so its validity can't be "
                                         "checked.", False, **extra)
        return Validity(False, None, "No expiry date is recorded, so the certificate can't be "
                                     "relied on.", False, **extra)
    if scheme == "iso27001" and iso_edition(edition) == "2013":
        expiry = min(expiry, last_valid)
    if today > expiry:
        names = {"cyber_essentials": "Cyber Essentials certificate",
                 "cyber_essentials_plus": "Cyber Essentials Plus certificate",
                 "iso27001": "ISO/IEC 27001 certificate"}
        return Validity(False, expiry, f"The {names.get(scheme, 'certificate')} expired on "
                                       f"{expiry:%d %B %Y}.", False, **extra)
    return Validity(True, expiry, None, True, **extra)


_LEGAL_FORMS = r"\b(limited|ltd|plc|llp|llc|the|co|company)\b"
_NARROW_SCOPE = re.compile(r"\b(excluding|excludes|except|only|limited to|restricted to|part of|"
                           r"partial|sales office|head office)\b", re.IGNORECASE)


def _normalise(name: str) -> str:
    """Compare legal entities ignoring case, punctuation and the legal form only: 'Holdings',
    'Group', 'UK' or 'Inc' name a different company (a parent or a subsidiary)."""
    name = re.sub(r"[^a-z0-9 ]", " ", name.lower())
    name = re.sub(_LEGAL_FORMS, " ", name)
    return re.sub(r"\s+", " ", name).strip()


def _coverage_flags(legal_entity: str, supplier_legal_name: str, scope: str
                    ) -> list[tuple[str, str]]:
    flags = []
    if legal_entity and supplier_legal_name and _normalise(legal_entity) != _normalise(
            supplier_legal_name):
        flags.append(("legal_entity", f"The certificate names '{legal_entity}', not the "
                      f"supplier's legal entity '{supplier_legal_name}'."))
    if scope and _NARROW_SCOPE.search(scope):
        flags.append(("scope", f"The certificate's scope ('{scope[:120]}') is limited; check it "
                      "covers the service supplied."))
    return flags


def ce_plus_audit_in_time(basic_issued_on: dt.date | None, audited_on: dt.date | None, *,
                          months: int = 3) -> bool:
    """The CE+ audit must follow a basic Cyber Essentials certificate within 3 months."""
    if basic_issued_on is None or audited_on is None:
        return False
    return basic_issued_on <= audited_on <= add_months(basic_issued_on, months)


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
