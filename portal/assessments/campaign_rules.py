"""Who a campaign reaches: a filter over plain facts about each supplier (no framework, no
database), so the preview, the send and the tests agree on every choice and every reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from portal.core.dates import add_months

TIERS = ("critical", "elevated", "baseline")
RATINGS = ("green", "amber", "red")
SUPPLIER_TYPES = ("it_system", "it_service", "non_it")

NO_CONTACT = "no active contact"
ALREADY_OPEN = "already has this questionnaire open"
NO_TIER = "has no tier yet, so no bundle to send"
# Campaign.definition_key for "the questionnaires each supplier's tier needs"
BUNDLE = "tier-bundle"


@dataclass(frozen=True)
class Filter:
    """Empty tuples and None mean "any"."""

    tiers: tuple[str, ...] = ()
    ratings: tuple[str, ...] = ()
    supplier_types: tuple[str, ...] = ()
    # "last accepted due diligence (this questionnaire) older than N months, or never"
    diligence_older_than_months: int | None = None
    contract_ends_before: dt.date | None = None
    skip_open: bool = True  # leave out suppliers who already have this questionnaire open

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["contract_ends_before"] = (self.contract_ends_before.isoformat()
                                        if self.contract_ends_before else None)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


# Annual reassessment: every supplier whose last accepted questionnaire of this kind is
# older than 11 months (or who never had one accepted), so it is back before the year is out.
ANNUAL_REASSESSMENT = Filter(diligence_older_than_months=11)


@dataclass
class Candidate:
    supplier_id: int
    name: str
    tier: str | None = None
    rating: str | None = None
    supplier_type: str = "it_service"
    last_accepted: dt.date | None = None
    contract_end_dates: list[dt.date] = field(default_factory=list)
    has_open: bool = False
    contact_id: int | None = None
    questionnaire: str = ""  # the questionnaire this choice sends (one per bundle item)
    processor: bool = False  # holds a processor contract for personal data
    affects_care: bool = False  # a failure of its system would affect patient care


def matches(rule: Filter, c: Candidate, today: dt.date) -> bool:
    if rule.tiers and c.tier not in rule.tiers:
        return False
    if rule.ratings and c.rating not in rule.ratings:
        return False
    if rule.supplier_types and c.supplier_type not in rule.supplier_types:
        return False
    if rule.diligence_older_than_months is not None and c.last_accepted is not None \
            and c.last_accepted > add_months(today, -rule.diligence_older_than_months):
        return False
    if rule.contract_ends_before is not None and not any(
            end < rule.contract_ends_before for end in c.contract_end_dates):
        return False
    return True


def choose(rule: Filter, candidates: list[Candidate], today: dt.date
           ) -> tuple[list[Candidate], list[tuple[Candidate, str]]]:
    """(who gets it, [(who is skipped, why)]) among the suppliers the filter matches."""
    chosen: list[Candidate] = []
    skipped: list[tuple[Candidate, str]] = []
    for c in candidates:
        if not matches(rule, c, today):
            continue
        if c.contact_id is None:
            skipped.append((c, NO_CONTACT))
        elif rule.skip_open and c.has_open:
            skipped.append((c, ALREADY_OPEN))
        else:
            chosen.append(c)
    return chosen, skipped


def questionnaires_needed(tier: str | None, *, processor: bool, affects_care: bool,
                          spec: dict[str, Any]) -> list[str]:
    """The questionnaires a supplier's score asks for (scoring policy `due_diligence`): its
    tier's, plus the processor's with a processor contract for personal data, plus clinical
    safety where its system affects care. The score and a tier's bundle both ask this."""
    keys = list(spec.get("required", {}).get(tier or "", []))
    if processor:
        keys += spec.get("processor_needs", [])
    if affects_care:
        keys += spec.get("affects_care_needs", [])
    return list(dict.fromkeys(keys))


def bundle_keys(spec: dict[str, Any]) -> list[str]:
    """Every questionnaire some supplier's bundle can hold."""
    return list(dict.fromkeys([*(k for ks in spec.get("required", {}).values() for k in ks),
                               *spec.get("processor_needs", []),
                               *spec.get("affects_care_needs", [])]))


def bundle(rule: Filter, candidates_by_key: dict[str, list[Candidate]],
           spec: dict[str, Any], today: dt.date
           ) -> tuple[list[Candidate], list[tuple[Candidate, str]]]:
    """A tier's bundle: each matched supplier once per questionnaire it needs (`needs`); the
    same choice and reasons as `choose`, per questionnaire. `candidates_by_key` holds, per
    questionnaire, every supplier's facts for that kind."""
    chosen: list[Candidate] = []
    skipped: list[tuple[Candidate, str]] = []
    keys = bundle_keys(spec)
    first = candidates_by_key.get(keys[0], []) if keys else []
    by_key = {k: {c.supplier_id: c for c in candidates_by_key.get(k, [])} for k in keys}
    for c in first:
        if not rule.tiers and c.tier is None and matches(
                Filter(ratings=rule.ratings, supplier_types=rule.supplier_types,
                       contract_ends_before=rule.contract_ends_before), c, today):
            skipped.append((c, NO_TIER))
            continue
        for key in questionnaires_needed(c.tier, processor=c.processor,
                                         affects_care=c.affects_care, spec=spec):
            one = by_key.get(key, {}).get(c.supplier_id)
            if one is None:
                continue
            one.questionnaire = key
            picked, left = choose(rule, [one], today)
            chosen += picked
            skipped += left
    return chosen, skipped


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0
