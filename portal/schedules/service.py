"""Gathering a contract's records into a schedule draft (portal.schedules.document renders it).

The kind of document follows the contract's data role through the one requirement rule
(portal.contracts.rules.agreement). A contract with no personal data, or with processing
particulars still empty, is refused with what is missing: the annexes are written from the
records, never from placeholders.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from models.tables import AnswerReview, Assessment, EvidenceFile, Organisation
from portal.assessments.service import answer_rows, frozen_definition
from portal.certifications.service import list_certifications, with_validity
from portal.contracts.library import library
from portal.contracts.rules import ClauseFacts, agreement
from portal.contracts.service import checklist
from portal.core.errors import InvalidInput, Unprocessable
from portal.core.organisation import get_organisation
from portal.schedules.document import (
    PARTICULARS,
    WORDINGS,
    Draft,
    Gap,
    filename,
    particulars_problem,
    render,
)
from portal.scoring.answers import backing
from portal.scoring.rules import LABELS as SCHEME_LABELS
from portal.suppliers.schemas import TRANSFER_MECHANISM_LABELS
from portal.suppliers.service import get_contract, get_supplier, list_subprocessors
from questionnaires.rules import visible_ids
from questionnaires.states import State

# Questionnaire sections whose compliant answers describe security measures (Annex 2); the
# others (identity, certificates, data location, ownership, exit) are recorded elsewhere.
SECURITY_SECTIONS = frozenset({"people", "systems", "incidents", "commitments", "security",
                               "access", "breaches", "technical"})
ANSWER_WINDOW = dt.timedelta(days=400)  # as the scoring reads "within the last 12 months"
TRANSFER_WORDS = dict(TRANSFER_MECHANISM_LABELS)
BACKED = {"checked": "reviewer checked", "evidenced": "evidence uploaded",
          "asserted": "supplier's word"}


async def build(contract_id: int, *, wording: str | None = None,
                today: dt.date | None = None) -> tuple[str, bytes]:
    """(file name, .docx bytes) of the schedule for one contract; the base text is the one
    asked for, else the one the organisation chose (its settings, schedule_wording)."""
    if wording is None:
        wording = (await get_organisation()).get("schedule_wording") or "portal"
    if wording not in WORDINGS:
        raise InvalidInput("Choose the base text: wording=portal (the portal's model clauses) "
                           "or wording=national (the Crown Commercial Service clauses).")
    today = today or dt.date.today()
    contract = await get_contract(contract_id)
    supplier = await get_supplier(contract["supplier"])
    kind = agreement(ClauseFacts.of(contract, supplier))
    if kind is None:
        role = contract["data_role"].replace("_", " ")
        raise Unprocessable(
            f"No data protection schedule is needed: the contract records no personal data "
            f"shared with the supplier (data role: {role}; personal data: "
            f"{'yes' if contract['personal_data'] else 'no'}). If that is wrong, record the "
            "supplier's data role and personal data on the contract first.")
    problem = particulars_problem(contract)
    if problem:
        raise Unprocessable(problem)
    organisation = await Organisation.select(Organisation.name).first()
    check = await checklist(contract_id)
    gaps = [Gap(c["key"], c["title"], c["legal_reference"], c["legal_basis"],
                library()[c["key"]].model_clause, c["status"], c["location"], c["note"])
            for c in check["clauses"] if c["required"] and c["status"] in ("missing", "partial")]
    answers, answers_source = await _accepted_answers(contract["supplier"], today)
    draft = Draft(
        kind=kind.kind, contract_title=contract["title"],
        contract_reference=contract["reference"], start_date=contract["start_date"],
        end_date=contract["end_date"],
        customer=organisation["name"] if organisation else "The Customer",
        supplier=supplier["legal_name"] or supplier["name"],
        particulars={name: " ".join(contract[name].split()) for name, _ in PARTICULARS},
        special_category=_special(contract),
        data_locations=contract["data_locations"],
        transfer=TRANSFER_WORDS.get(contract["transfer_mechanism"], "Not known yet"),
        tra_reference=contract["tra_reference"],
        certifications=await _certifications(contract["supplier"], today),
        answers=answers, answers_source=answers_source,
        sub_processors=[_sub_processor(r) for r in await list_subprocessors(
            contract["supplier"], supplier_known=True)
            if r["until"] is None or r["until"] >= today],
        gaps=gaps, wording=wording)
    return filename(draft), render(draft)


def _special(contract: dict[str, Any]) -> str:
    kinds = []
    if contract["patient_data"]:
        kinds.append("Health and care data about patients (UK GDPR Article 9)")
    if contract["special_category_data"]:
        kinds.append("Other special category data (UK GDPR Article 9)")
    return "; ".join(kinds)


def _sub_processor(row: dict[str, Any]) -> tuple[str, ...]:
    since = row["since"].strftime("%-d %b %Y") if row["since"] else "Not recorded"
    safeguard = TRANSFER_WORDS.get(row["transfer_mechanism"], "Not known yet")
    if row["tra_reference"]:
        safeguard += f" (transfer risk assessment {row['tra_reference']})"
    return (row["name"], row["service"] or "Not recorded", row["data_processed"] or "Not recorded",
            row["location"] or "Not recorded", safeguard, since)


async def _certifications(supplier_id: int, today: dt.date) -> list[tuple[str, ...]]:
    rows, _ = await list_certifications(supplier_id=supplier_id, limit=200, offset=0)
    out = []
    for c in await with_validity(rows, today=today):
        label = c["scheme_name"] if c["scheme"] == "other" and c["scheme_name"] else \
            SCHEME_LABELS.get(c["scheme"], "Other certification")
        state = "current" if c["satisfies"] else "not current: " + (c["reason"] or "see record")
        expires = c["expires_on"].strftime("%-d %b %Y") if c["expires_on"] else "Not recorded"
        out.append((label, f"{c['status'] or c['certificate_number'] or 'Not recorded'} "
                           f"({state})", expires, c["verification"].replace("_", " ")))
    return out


async def _accepted_answers(supplier_id: int, today: dt.date) -> tuple[list[tuple[str, ...]], str]:
    """Compliant answers in the security sections of the supplier's accepted assessments
    from the last twelve months (the newest per questionnaire)."""
    since = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC) - ANSWER_WINDOW
    rows = await Assessment.select(Assessment.id, Assessment.definition, Assessment.decided_at).where(
        (Assessment.supplier == supplier_id) & (Assessment.status == State.accepted)
        & (Assessment.decided_at >= since)).order_by(Assessment.decided_at, ascending=False)
    out: list[tuple[str, ...]] = []
    sources: list[str] = []
    seen: set[str] = set()
    for row in rows:
        definition = await frozen_definition(row["definition"])
        if definition.key in seen:
            continue
        seen.add(definition.key)
        values = {qid: a["value"] for qid, a in (await answer_rows(row["id"])).items()}
        shown = visible_ids(definition, values)
        files = await EvidenceFile.select(EvidenceFile.question_id).where(
            (EvidenceFile.assessment == row["id"]) & EvidenceFile.withdrawn_at.is_null())
        reviews = await AnswerReview.select(AnswerReview.question_id).where(
            (AnswerReview.assessment == row["id"]) & (AnswerReview.decision == "accepted"))
        backed = backing(definition, values, evidence_questions={f["question_id"] for f in files},
                         checked={r["question_id"] for r in reviews})
        for section in definition.sections:
            if section.id not in SECURITY_SECTIONS:
                continue
            for q in section.questions:
                given = values.get(q.id)
                chosen = given if isinstance(given, list) else [given]
                if q.id in shown and q.compliant and set(map(str, chosen)) & set(q.compliant):
                    labels = {o.value: o.label for o in q.option_list()}
                    out.append((q.text, ", ".join(labels.get(str(v), str(v)) for v in chosen),
                                BACKED[backed.get(q.id, "asserted")]))
        sources.append(f"{definition.title}, accepted {row['decided_at']:%-d %B %Y}")
    return out, "; ".join(sources)
