"""DSPT readiness for a (toolkit year, category) view: the one evaluation the evidence pack and
the staff dashboard both show. Plain Python over plain records (no framework imports).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from portal.reports import answers, caf, facts
from portal.reports.frameworks import View


@dataclass
class Line:
    """One row of the readiness summary."""

    ref: str
    text: str
    answer: str  # Yes / No; True / False / Unknown for CAF statements
    figure: str
    ok: bool
    mandatory: bool = False
    why: list[str] = field(default_factory=list)


@dataclass
class Readiness:
    view: View
    today: dt.date
    suppliers: list[facts.SupplierView]
    answers: list[answers.Answer] = field(default_factory=list)
    caf: caf.Assessment | None = None

    @property
    def lines(self) -> list[Line]:
        if self.caf is not None:
            return [Line(r.statement.id, r.statement.text, r.shown, r.basis,
                         ok=(r.value is False) if r.statement.level == "not_achieved" else r.value is True,
                         why=[f"{n}: {w}" for n, w in r.records[:3]])
                    for r in self.caf.results]
        return [Line(a.item.ref, a.item.text, a.answer, a.figure, ok=a.yes, mandatory=a.item.mandatory,
                     why=[f"{g.supplier}: {g.what}" for g in a.gaps[:3]]) for a in self.answers]

    @property
    def headline(self) -> str:
        if self.caf is not None:
            return (f"A4.a Supply chain: {self.caf.level_label} (NHS England expects "
                    f"{self.caf.expected_label.lower()}).")
        mandatory = [a for a in self.answers if a.item.mandatory]
        met = sum(a.yes for a in mandatory)
        return f"{met} of {len(mandatory)} mandatory items answered Yes."

    @property
    def ready(self) -> bool:
        if self.caf is not None:
            return self.caf.meets_expectation
        return all(a.yes for a in self.answers if a.item.mandatory)


def evaluate(view: View, data: Mapping[str, list[dict]], attested: Mapping[str, caf.Attested], *,
             today: dt.date, clause_title=lambda key: key,
             suppliers: list[facts.SupplierView] | None = None) -> Readiness:
    """`suppliers`, when given, are `facts.build(data, today)` already made (the dashboard
    keeps them between changes and rebuilds those of the suppliers a change touched)."""
    suppliers = suppliers if suppliers is not None else facts.build(dict(data), today)
    result = Readiness(view=view, today=today, suppliers=suppliers)
    if view.framework == "caf":
        result.caf = caf.evaluate(view.outcome, suppliers, attested, clause_title=clause_title)
    else:
        result.answers = answers.answer_items(view.items, suppliers, today=today,
                                              clause_title=clause_title)
    return result
