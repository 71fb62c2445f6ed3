"""Knock-out answers open their risk by themselves (derived data, portal/core/changes.py).

For every supplier an audited write touched, the latest accepted assessment of each
questionnaire is read; each visible knock-out answer in it (questionnaires/definitions,
`knockout:`) gets a high-severity risk linked to the answer. The link (`source_key`,
unique) makes it insert-if-absent: accepting twice, two requests at once or a nightly rerun
never open it twice, and whatever path accepted the assessment, the risk is there before
the score (registered after this deriver) is computed in the same transaction.

A knock-out risk caps the rating at red until it is mitigated or closed, or a SIRO accepts
it (see scoring/rules.py).
"""

from __future__ import annotations

import datetime as dt
import json

from models.tables import Answer, Assessment, QuestionnaireDefinition, Risk
from portal.core import audit
from portal.scoring.answers import knockouts
from questionnaires.schema import Definition
from questionnaires.states import State


def source_key(assessment_id: int, question_id: str) -> str:
    return f"knockout:{assessment_id}:{question_id}"


def _loads(value):
    return json.loads(value) if isinstance(value, str) else value


async def open_knockout_risks(supplier_ids: list[int]) -> int:
    """Open the missing knock-out risks of these suppliers; returns how many were opened."""
    if not supplier_ids:
        return 0
    accepted = await Assessment.select(
        Assessment.id, Assessment.supplier, Assessment.decided_at, Assessment.definition,
        Assessment.definition.key).where(
        Assessment.supplier.is_in(supplier_ids) & (Assessment.status == State.accepted)).order_by(
        Assessment.decided_at, ascending=False)
    latest: dict[tuple[int, str], dict] = {}
    for row in accepted:
        latest.setdefault((row["supplier"], row["definition.key"]), row)
    if not latest:
        return 0
    definition_ids = list({r["definition"] for r in latest.values()})
    definitions = {}
    for row in await QuestionnaireDefinition.select(
            QuestionnaireDefinition.id, QuestionnaireDefinition.content).where(
            QuestionnaireDefinition.id.is_in(definition_ids)):
        definition = Definition.model_validate(_loads(row["content"]))
        if any(q.knockout for q in definition.questions()):
            definitions[row["id"]] = definition
    wanted = [r for r in latest.values() if r["definition"] in definitions]
    if not wanted:
        return 0
    answers: dict[int, dict] = {r["id"]: {} for r in wanted}
    for row in await Answer.select(Answer.assessment, Answer.question_id, Answer.value).where(
            Answer.assessment.is_in(list(answers))):
        answers[row["assessment"]][row["question_id"]] = _loads(row["value"])
    opened = 0
    for row in wanted:
        for hit in knockouts(definitions[row["definition"]], answers[row["id"]]):
            key = source_key(row["id"], hit.question_id)
            values = dict(
                supplier=row["supplier"], kind="risk", severity="high",
                title=f"{hit.reason}"[:200],
                description=f"Knock-out answer in assessment {row['id']} "
                            f"({row['definition.key']}): '{hit.question}' was answered "
                            f"'{hit.answer}'.",
                data_security_risk=hit.reason, criterion=hit.criterion[:200],
                assessment_id=row["id"], question_id=hit.question_id, source_key=key,
                status="open", opened_on=dt.date.today())
            inserted = await Risk.insert(Risk(**values)).on_conflict(
                target=Risk.source_key, action="DO NOTHING").returning(Risk.id)
            if inserted:
                opened += 1
                await audit.record("risk.knockout_opened", target_type="risk",
                                   target_id=inserted[0]["id"], supplier_id=row["supplier"],
                                   after={**(await Risk.select().where(
                                       Risk.id == inserted[0]["id"]).first()),
                                       "answer": hit.answer})
    return opened
