"""Reading an accepted questionnaire's answers: compliance, backing and knock-outs.

Plain values only (a Definition and the answers); the service loads them from the tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from questionnaires.rules import is_answered, visible_ids
from questionnaires.schema import Definition, Question


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [] if value is None else [str(value)]


def _label(question: Question, value: Any) -> str:
    labels = {o.value: o.label for o in question.option_list()}
    given = _as_list(value)
    return ", ".join(labels.get(v, v) for v in given) if given else "no answer"


@dataclass
class Reading:
    share: float | None  # None: nothing scorable
    compliant: int = 0
    scorable: int = 0
    evidenced: int = 0
    checked: int = 0
    failing: list[tuple[str, str, str]] = field(default_factory=list)  # (id, text, answer)


def backing(definition: Definition, answers: Mapping[str, Any], *, evidence_questions: set[str],
            checked: set[str]) -> dict[str, str]:
    """How each scored answer is backed: 'checked', 'evidenced' or 'asserted'.

    Evidence counts for the question it supports: files uploaded to the question itself, or
    to a file question that names it in `evidence_for` (and has files attached)."""
    supports: dict[str, set[str]] = {}
    for q in definition.questions():
        if q.evidence_for:
            supports.setdefault(q.evidence_for, set()).add(q.id)
    out = {}
    for q in definition.questions():
        if not q.weight:
            continue
        backers = {q.id} | supports.get(q.id, set())
        if q.id in checked:
            out[q.id] = "checked"
        elif backers & evidence_questions or any(
                is_answered(definition.question(b), answers.get(b)) for b in backers - {q.id}):
            out[q.id] = "evidenced"
        else:
            out[q.id] = "asserted"
    return out


def read(definition: Definition, answers: Mapping[str, Any], *, evidence_questions: set[str],
         checked: set[str], factors: Mapping[str, float]) -> Reading:
    """Weighted share of compliant answers, each scaled by how it is backed."""
    shown = visible_ids(definition, answers)
    backed = backing(definition, answers, evidence_questions=evidence_questions, checked=checked)
    earned = possible = 0.0
    reading = Reading(None)
    for q in definition.questions():
        if not q.weight or q.id not in shown:
            continue
        value = answers.get(q.id)
        if value == "na":
            continue
        if not is_answered(q, value) and not q.required:
            continue
        possible += q.weight
        reading.scorable += 1
        if set(_as_list(value)) & set(q.compliant):
            level = backed.get(q.id, "asserted")
            earned += q.weight * factors.get(level, 1.0)
            reading.compliant += 1
            reading.evidenced += level in ("evidenced", "checked")
            reading.checked += level == "checked"
        else:
            reading.failing.append((q.id, q.text, _label(q, value)))
    reading.share = earned / possible if possible else None
    return reading


@dataclass(frozen=True)
class KnockOutHit:
    question_id: str
    question: str
    answer: str
    reason: str
    criterion: str


def knockouts(definition: Definition, answers: Mapping[str, Any]) -> list[KnockOutHit]:
    """Visible answers that knock the supplier out."""
    shown = visible_ids(definition, answers)
    hits = []
    for q in definition.questions():
        if q.knockout is None or q.id not in shown:
            continue
        value = answers.get(q.id)
        if q.knockout.above is not None:
            hit = isinstance(value, int | float) and not isinstance(value, bool) \
                and value > q.knockout.above
        else:
            hit = bool(set(_as_list(value)) & set(q.knockout.answers))
        if hit:
            hits.append(KnockOutHit(q.id, q.text, _label(q, value) if q.knockout.above is None
                                    else f"{value:g}",
                                    q.knockout.reason, q.knockout.criterion))
    return hits
