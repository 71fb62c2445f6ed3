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

from models.tables import Answer, Assessment, QuestionnaireDefinition, Risk, SubProcessor
from portal.core import audit
from portal.scoring.answers import knockouts
from portal.scoring.rules import load_policy
from portal.scoring.transfers import unsafe_transfer
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


SUBPROCESSOR_PREFIX = "knockout:subprocessor:"


async def subprocessor_knockouts(supplier_ids: list[int]) -> int:
    """Open a knock-out risk for each current sub-processor of these suppliers that handles
    our data outside the UK with no safeguard, and close the ones the register no longer
    shows (a safeguard recorded, or the sub-processor stopped). Returns how many changed."""
    if not supplier_ids:
        return 0
    policy = load_policy()["subprocessor_knockout"]
    today = dt.date.today()
    rows = await SubProcessor.select().where(SubProcessor.supplier.is_in(supplier_ids))
    unsafe = {}
    for row in rows:
        current = row["archived_at"] is None and (row["until"] is None or row["until"] >= today) \
            and (row["since"] is None or row["since"] <= today)
        where = unsafe_transfer(row["location"], row["transfer_mechanism"], policy) if current else []
        if where:
            unsafe[f"{SUBPROCESSOR_PREFIX}{row['id']}"] = (row, where)
    changed = 0
    for key, (row, where) in unsafe.items():
        inserted = await Risk.insert(Risk(
            supplier=row["supplier"], kind="risk", severity="high",
            title=f"Sub-processor {row['name']} processes our data outside the UK with no "
                  "safeguard"[:200],
            description=f"{row['name']} ({row['service'] or 'service not stated'}) processes "
                        f"our data in {', '.join(where)}; transfer mechanism: "
                        f"{row['transfer_mechanism']}.",
            data_security_risk="Personal data transferred outside the UK without a lawful "
                               "safeguard (IDTA, UK Addendum or adequacy).",
            criterion=policy["criterion"][:200], source_key=key, status="open",
            opened_on=today)).on_conflict(target=Risk.source_key, action="DO NOTHING").returning(Risk.id)
        if inserted:
            changed += 1
            # The whole row, so the trail can rebuild the register as at a date.
            await audit.record("risk.knockout_opened", target_type="risk", target_id=inserted[0]["id"],
                               supplier_id=row["supplier"],
                               after={**(await Risk.select().where(
                                   Risk.id == inserted[0]["id"]).first()),
                                   "subprocessor_id": row["id"]})
    stale = await Risk.select(Risk.id, Risk.supplier, Risk.source_key).where(
        Risk.supplier.is_in(supplier_ids) & Risk.source_key.like(f"{SUBPROCESSOR_PREFIX}%")
        & (Risk.status == "open"))
    for risk in stale:
        if risk["source_key"] in unsafe:
            continue
        await Risk.update({Risk.status: "closed", Risk.closed_on: today,
                           Risk.version: Risk.version + 1}).where(Risk.id == risk["id"])
        changed += 1
        await audit.record("risk.knockout_closed", target_type="risk", target_id=risk["id"],
                           supplier_id=risk["supplier"],
                           before={"status": "open", "closed_on": None},
                           after={"status": "closed", "closed_on": today,
                                  "source_key": risk["source_key"],
                                  "why": "the sub-processor register no longer shows the transfer"})
    return changed
