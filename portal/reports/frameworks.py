"""What an organisation answers for supplier accountability, by toolkit year and category.

Plain Python over frameworks.yaml (no framework imports). `resolve(year, category)` gives the
view the organisation answers: the NDG standard 10 items (categories 2-4, and every category
before 2024-25) or the CAF outcome A4.a (category 1 from 2024-25).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

FRAMEWORKS_FILE = Path(__file__).parent / "frameworks.yaml"
CATEGORIES = (1, 2, 3, 4)
MEASURES = frozenset({"register", "certification", "contracts", "due_diligence", "disputes"})
ANSWER_TYPES = frozenset({"yes_no", "text"})
LEVELS = ("not_achieved", "partially_achieved", "achieved")
LEVEL_LABELS = {"not_achieved": "Not achieved", "partially_achieved": "Partially achieved",
                "achieved": "Achieved"}
EVIDENCE = frozenset({"records", "attestation", "both"})
FRAMEWORK_LABELS = {"ndg": "NDG data security standard 10 (accountable suppliers)",
                    "caf": "CAF-aligned DSPT, outcome A4.a Supply chain"}


class FrameworkError(ValueError):
    """frameworks.yaml does not say what it must."""


@dataclass(frozen=True)
class Item:
    ref: str
    assertion: str
    text: str
    mandatory: bool
    answer: str
    measure: str
    scope: str = "all"
    scope_rule: str = ""


@dataclass(frozen=True)
class Statement:
    id: str
    level: str
    text: str
    evidence: str
    check: str = ""


@dataclass(frozen=True)
class Outcome:
    id: str
    title: str
    outcome: str
    expected_level: str
    expected_by: str
    source: str
    source_date: str
    statements: tuple[Statement, ...]

    def statement(self, statement_id: str) -> Statement:
        for s in self.statements:
            if s.id == statement_id:
                return s
        raise KeyError(statement_id)


@dataclass(frozen=True)
class View:
    """What (year, category) answers."""

    year: str
    category: int
    framework: str  # "ndg" or "caf"
    deadline: dt.date
    items: tuple[Item, ...] = ()
    outcome: Outcome | None = None
    source: str = ""
    source_date: str = ""
    confirmed: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)  # unconfirmed wording: cover note
    info: str = ""  # set when this is not the view the category answers (an annex)

    @property
    def label(self) -> str:
        return FRAMEWORK_LABELS[self.framework]


@lru_cache(maxsize=4)
def load(path: str | None = None) -> dict[str, Any]:
    data = yaml.safe_load(Path(path or FRAMEWORKS_FILE).read_text(encoding="utf-8"))
    validate(data)
    return data


def years(path: str | None = None) -> list[str]:
    return list(load(path)["years"])


def live_year(path: str | None = None) -> str:
    data = load(path)
    return next((y for y, spec in data["years"].items() if spec.get("live")), list(data["years"])[-1])


def _source(data: dict, key: str) -> tuple[str, str]:
    source = data["sources"][key]
    return source["title"], str(source["date"])


def outcome(outcome_id: str = "A4.a", path: str | None = None) -> Outcome:
    data = load(path)
    spec = data["outcomes"][outcome_id]
    title, date = _source(data, spec["source"])
    return Outcome(id=outcome_id, title=spec["title"], outcome=spec["outcome"],
                   expected_level=spec["expected_level"], expected_by=spec["expected_by"],
                   source=title, source_date=date,
                   statements=tuple(Statement(id=s["id"], level=s["level"], text=s["text"],
                                              evidence=s["evidence"], check=s.get("check", ""))
                                    for s in spec["statements"]))


def local_bar(path: str | None = None) -> dict[str, str]:
    return dict(load(path)["local_bar"])


def resolve(year: str, category: int, *, framework: str | None = None,
            path: str | None = None) -> View:
    """The view (year, category) answers; `framework` forces the other view (an annex)."""
    data = load(path)
    if year not in data["years"]:
        raise KeyError(year)
    spec_year = data["years"][year]
    spec = spec_year["categories"][int(category)]
    chosen = framework or spec["framework"]
    notes: list[str] = []
    confirmed = True
    if chosen == "caf":
        the_outcome = outcome(spec.get("outcome", "A4.a") if spec["framework"] == "caf" else "A4.a", path)
        if spec["framework"] == "caf" and not spec.get("confirmed", True):
            confirmed = False
            notes.append(spec["note"])
        info = "" if spec["framework"] == "caf" else (
            f"Category {category} does not answer the CAF-aligned toolkit in {year}: this view "
            "is for information only.")
        return View(year=year, category=int(category), framework="caf",
                    deadline=spec_year["deadline"], outcome=the_outcome,
                    source=the_outcome.source, source_date=the_outcome.source_date,
                    confirmed=confirmed, notes=tuple(notes), info=info)
    item_set_key = spec["items"] if spec["framework"] == "ndg" else _nearest_ndg(data, year)
    item_set = data["item_sets"][item_set_key]
    if not item_set.get("confirmed", True):
        confirmed = False
        notes.append(item_set["note"])
    info = "" if spec["framework"] == "ndg" else (
        f"Category {category} answers the CAF-aligned toolkit in {year}: the standard 10 items "
        "are shown for information only.")
    title, date = _source(data, item_set["source"])
    items = tuple(Item(ref=str(i["ref"]), assertion=str(i["assertion"]), text=i["text"],
                       mandatory=bool(i["mandatory"]), answer=i["answer"], measure=i["measure"],
                       scope=i.get("scope", "all"), scope_rule=i.get("scope_rule", ""))
                  for i in item_set["items"])
    return View(year=year, category=int(category), framework="ndg", deadline=spec_year["deadline"],
                items=items, source=title, source_date=date, confirmed=confirmed, notes=tuple(notes),
                info=info)


def _nearest_ndg(data: dict, year: str) -> str:
    """The standard 10 item set categories 2-4 answer that year (for a category 1 annex)."""
    for category in (4, 3, 2):
        spec = data["years"][year]["categories"][category]
        if spec["framework"] == "ndg":
            return spec["items"]
    raise FrameworkError(f"{year}: no category answers the standard 10 items")


def validate(data: dict[str, Any]) -> None:
    """Every year x category resolves to a known framework with well-formed items/statements."""
    problems: list[str] = []
    sources = data.get("sources") or {}
    for key, item_set in (data.get("item_sets") or {}).items():
        if item_set.get("source") not in sources:
            problems.append(f"item set {key}: unknown source {item_set.get('source')!r}")
        if not item_set.get("confirmed", True) and not item_set.get("note"):
            problems.append(f"item set {key}: unconfirmed without a note")
        refs = set()
        for item in item_set.get("items") or []:
            where = f"item set {key} item {item.get('ref')}"
            for name in ("ref", "assertion", "text", "mandatory", "answer", "measure"):
                if name not in item:
                    problems.append(f"{where}: missing {name}")
            if item.get("ref") == item.get("assertion"):
                problems.append(f"{where}: an assertion is not an item to answer")
            if item.get("measure") not in MEASURES:
                problems.append(f"{where}: unknown measure {item.get('measure')!r}")
            if item.get("answer") not in ANSWER_TYPES:
                problems.append(f"{where}: unknown answer type {item.get('answer')!r}")
            if item.get("scope", "all") not in ("all", "it_suppliers"):
                problems.append(f"{where}: unknown scope {item.get('scope')!r}")
            if item.get("scope", "all") != "all" and not item.get("scope_rule"):
                problems.append(f"{where}: a narrowed scope needs the rule stated (scope_rule)")
            if item.get("ref") in refs:
                problems.append(f"{where}: ref repeated")
            refs.add(item.get("ref"))
    for key, spec in (data.get("outcomes") or {}).items():
        if spec.get("source") not in sources:
            problems.append(f"outcome {key}: unknown source")
        if spec.get("expected_level") not in LEVELS:
            problems.append(f"outcome {key}: unknown expected level")
        ids = [s.get("id") for s in spec.get("statements") or []]
        if len(ids) != len(set(ids)):
            problems.append(f"outcome {key}: statement ids repeated")
        for s in spec.get("statements") or []:
            if s.get("level") not in LEVELS or s.get("evidence") not in EVIDENCE or not s.get("text"):
                problems.append(f"outcome {key} statement {s.get('id')}: level, evidence and text needed")
            if s.get("evidence") in ("records", "both") and not s.get("check"):
                problems.append(f"outcome {key} statement {s.get('id')}: records need a check")
    for year, spec in (data.get("years") or {}).items():
        if not isinstance(spec.get("deadline"), dt.date):
            problems.append(f"{year}: deadline must be a date")
        for category in CATEGORIES:
            chosen = (spec.get("categories") or {}).get(category)
            if not chosen:
                problems.append(f"{year}: category {category} missing")
            elif chosen.get("framework") == "ndg":
                if chosen.get("items") not in (data.get("item_sets") or {}):
                    problems.append(f"{year} category {category}: unknown item set")
            elif chosen.get("framework") == "caf":
                if chosen.get("outcome", "A4.a") not in (data.get("outcomes") or {}):
                    problems.append(f"{year} category {category}: unknown outcome")
                if not chosen.get("confirmed", True) and not chosen.get("note"):
                    problems.append(f"{year} category {category}: unconfirmed without a note")
            else:
                problems.append(f"{year} category {category}: framework must be ndg or caf")
    if problems:
        raise FrameworkError("; ".join(problems))
