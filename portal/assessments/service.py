"""Questionnaires sent to suppliers: links, answers, evidence, submission and review.

The supplier API and the supplier pages both call these functions with the link token;
staff call them with the assessment id. Every change is audited (answer text is not
copied into the audit trail or the logs, only which question changed and its version).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from models.tables import (
    Answer,
    AnswerReview,
    Assessment,
    AuditEvent,
    ClarificationReply,
    EvidenceFile,
    Organisation,
    QuestionnaireDefinition,
    StaffMember,
    Supplier,
    SupplierContact,
)
from portal.assessments import assignment, links
from portal.core import audit, mail
from portal.core.db import Prepared, Slot, engine, write_transaction
from portal.core.errors import Conflict, InvalidInput, NotFound, Unprocessable
from portal.core.security import hash_secret, now
from portal.core.storage import evidence_store, key_for
from portal.core.uploads import accept_upload, safe_filename
from portal.settings import get_settings
from questionnaires import prefill as prefill_rules
from questionnaires import states
from questionnaires.loader import shipped
from questionnaires.rules import (
    AnswerInvalid,
    clean_reply,
    compliance,
    follow_ups,
    meets_requirement,
    missing_required,
    progress,
    validate_value,
    visible_ids,
)
from questionnaires.schema import Definition, QuestionType
from questionnaires.states import State

LINK_NOT_FOUND = "This link is not valid. It may have expired or been replaced. " \
                 "Ask the organisation that sent it for a new one."


class LinkNotFound(NotFound):
    default_message = LINK_NOT_FOUND


class AssessmentLocked(Conflict):
    default_message = "This questionnaire has been submitted and can no longer be changed."


class TransitionRefused(Conflict):
    """A status change the assessment state machine does not allow (409, in plain words)."""


class AlreadyOpen(Conflict):
    """The supplier already has this questionnaire open; sending again needs `force`."""

    def __init__(self, *, supplier: str, title: str, open_: dict[str, Any]) -> None:
        sent = open_["sent_at"].strftime("%-d %B %Y") if open_["sent_at"] else "an earlier date"
        due = open_["due_date"].strftime("%-d %B %Y") if open_["due_date"] else "no due date"
        super().__init__(f"{supplier} already has an open '{title}' sent on {sent}, due {due}.",
                         extra={"open_assessment_id": open_["id"]})
        self.open = open_


class AnswerNotSeen(Conflict):
    default_message = ("This question was answered elsewhere (another tab or person) after "
                       "you opened the page. Check the answer now saved and change it if needed.")


@dataclass
class LinkContext:
    assessment: dict[str, Any]
    definition: Definition


# Definitions ---------------------------------------------------------------------------


def available_questionnaires() -> list[Definition]:
    return sorted(shipped().values(), key=lambda d: d.key)


async def _store_definition(definition: Definition) -> int:
    """Freeze the exact definition sent; later edits never change what was asked."""
    found = await QuestionnaireDefinition.select(QuestionnaireDefinition.id).where(
        QuestionnaireDefinition.content_hash == definition.content_hash).first()
    if found:
        return found["id"]
    row = QuestionnaireDefinition(key=definition.key, version=definition.version,
                                  title=definition.title, content_hash=definition.content_hash,
                                  content=definition.canonical_json())
    await row.save()
    return row.id


# Parsed definitions by content hash: a frozen definition never changes, and parsing one
# costs more than the rest of an answer save.
_PARSED: dict[str, Definition] = {}
_PARSED_LIMIT = 256


async def frozen_definition(definition_id: int, content_hash: str | None = None) -> Definition:
    if content_hash is None:
        row = await QuestionnaireDefinition.select(QuestionnaireDefinition.content_hash).where(
            QuestionnaireDefinition.id == definition_id).first()
        content_hash = row["content_hash"]
    parsed = _PARSED.get(content_hash)
    if parsed is None:
        row = await QuestionnaireDefinition.select(QuestionnaireDefinition.content).where(
            QuestionnaireDefinition.id == definition_id).first()
        content = row["content"]
        parsed = Definition.model_validate(json.loads(content) if isinstance(content, str) else content)
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[content_hash] = parsed
    return parsed


# Links ---------------------------------------------------------------------------------


def _new_link(assessment_id: int) -> tuple[str, dict[Any, Any]]:
    """A fresh link for the assessment: the token (shown once) and the columns to store
    (a new nonce and the token's SHA-256; the token itself is never stored)."""
    nonce = links.new_nonce()
    token = links.token_for(assessment_id, nonce)
    return token, {"link_nonce": nonce, "link_hash": hash_secret(token)}


def link_url(token: str) -> str:
    return links.url(token)


def _link_expiry(due_date: dt.date) -> dt.datetime:
    days = get_settings().link_validity_days_after_due
    end = dt.datetime.combine(due_date + dt.timedelta(days=days), dt.time(23, 59, 59), tzinfo=dt.UTC)
    return end


async def _organisation_name() -> str:
    row = await Organisation.select(Organisation.name).first()
    return row["name"] if row else "Your customer"


async def _invitation(*, contact: dict, supplier: dict, definition: Definition, due: dt.date,
                      assessment_id: int, reissued: bool = False) -> None:
    organisation = await _organisation_name()
    subject = f"{organisation}: please complete '{definition.title}' by {due:%d %B %Y}"
    if reissued:
        subject = f"New link: {subject}"
    body = (
        f"Dear {contact['name']},\n\n"
        f"{organisation} asks {supplier['name']} to complete the questionnaire "
        f"'{definition.title}' by {due:%d %B %Y}.\n\n"
        f"Open it here (no account needed; keep this link private):\n"
        f"{links.placeholder(assessment_id)}\n\n"
        "You can answer over several visits; your answers are saved as you go. "
        "You can upload certificates and policies as evidence.\n\n"
        + ("This link replaces any earlier one, which no longer works.\n\n" if reissued else "")
        + f"Thank you,\n{organisation}\n"
    )
    await mail.queue(to=contact["email"], subject=subject, body=body,
                     related_type="assessment", related_id=assessment_id)


def _check_due(due_date: dt.date, field: str = "due_date") -> None:
    if due_date < dt.date.today():
        raise InvalidInput(f"{field} must be today or later.")
    if due_date > dt.date.today() + dt.timedelta(days=366):
        raise InvalidInput(f"{field} must be within a year.")


async def open_of_kind(supplier_id: int, questionnaire: str) -> dict[str, Any] | None:
    """The supplier's most recent assessment of this questionnaire (definition key) that is
    still pending (sent and not yet decided, revoked or expired), if any."""
    return await Assessment.select(
        Assessment.id, Assessment.status, Assessment.sent_at, Assessment.due_date).where(
        (Assessment.supplier == supplier_id) & (Assessment.definition.key == questionnaire)
        & Assessment.status.is_in(sorted(states.PENDING - {State.draft}))
    ).order_by(Assessment.id, ascending=False).first()


async def send(*, supplier_id: int, contact_id: int, questionnaire: str,
               due_date: dt.date, force: bool = False) -> tuple[dict[str, Any], str]:
    """Send a questionnaire. Refused (AlreadyOpen, 409) when the supplier already has one of
    the same questionnaire open, unless `force`."""
    definition = shipped().get(questionnaire)
    if definition is None:
        raise InvalidInput(f"Unknown questionnaire {questionnaire!r}. Choose one of: "
                           + ", ".join(sorted(shipped())))
    _check_due(due_date)
    async with write_transaction():
        supplier = await Supplier.select().where(Supplier.id == supplier_id).first()
        if supplier is None:
            raise NotFound(f"No supplier with id {supplier_id}.")
        if supplier["archived_at"] is not None:
            raise Unprocessable("This supplier is archived.")
        contact = await SupplierContact.select().where(
            (SupplierContact.id == contact_id) & (SupplierContact.supplier == supplier_id)
            & SupplierContact.archived_at.is_null()).first()
        if contact is None:
            raise Unprocessable(f"Contact {contact_id} is not a current contact of this supplier.")
        if not force:
            already = await open_of_kind(supplier_id, definition.key)
            if already is not None:
                raise AlreadyOpen(supplier=supplier["name"], title=definition.title,
                                  open_=already)
        definition_id = await _store_definition(definition)
        # A draft first (the link is derived from the id), sent in the same transaction.
        row = Assessment(supplier=supplier_id, contact=contact_id, definition=definition_id,
                         status=State.draft, due_date=due_date)
        await row.save()
        token, link_columns = _new_link(row.id)
        draft = await _get_assessment(row.id)
        assessment = await _set_status(
            draft, State.sent, action="assessment.sent",
            extra={**link_columns, "link_expires_at": _link_expiry(due_date), "sent_at": now()},
            after={"questionnaire": definition.key, "version": definition.version,
                   "content_hash": definition.content_hash,
                   "contact_id": contact_id, "due_date": due_date})
        await _invitation(contact=contact, supplier=supplier, definition=definition, due=due_date,
                          assessment_id=row.id)
    return assessment, token


async def _get_assessment(assessment_id: int) -> dict[str, Any]:
    row = await Assessment.select().where(Assessment.id == assessment_id).first()
    if row is None:
        raise NotFound(f"No assessment with id {assessment_id}.")
    return row


async def _lock(assessment_id: int) -> dict[str, Any]:
    """The assessment, locked until the write transaction ends, so a save, an upload, a
    submit and a review of one assessment take turns and each sees the status the one before
    left (PostgreSQL: SELECT ... FOR UPDATE; SQLite's BEGIN IMMEDIATE already serialises
    writers)."""
    query = Assessment.select().where(Assessment.id == assessment_id)
    if engine().engine_type == "postgres":
        query = query.lock_rows("UPDATE", of=(Assessment,))
    row = await query.first()
    if row is None:
        raise NotFound(f"No assessment with id {assessment_id}.")
    return row


async def _set_status(assessment: dict, status: str, *, action: str, extra: dict | None = None,
                      comment: str | None = None, after: dict | None = None) -> dict[str, Any]:
    try:
        states.check_move(assessment["status"], status)
    except states.IllegalTransition as error:
        raise TransitionRefused(str(error)) from None
    values: dict[Any, Any] = {Assessment.status: status, Assessment.updated_at: now(),
                              Assessment.version: assessment["version"] + 1}
    for key, value in (extra or {}).items():
        values[Assessment._meta.get_column_by_name(key)] = value
    updated = await Assessment.update(values).where(
        (Assessment.id == assessment["id"]) & (Assessment.version == assessment["version"])
    ).returning(Assessment.id)
    if not updated:
        raise Conflict("This assessment was changed at the same moment; reload and try again.")
    row = await _get_assessment(assessment["id"])
    # the whole row (secrets left out by the audit writer), so the trail can rebuild it as at a date
    after = {**row, "status": status, **(after or {})}
    if comment:
        after["comment"] = comment
    await audit.record(action, target_type="assessment", target_id=assessment["id"],
                       supplier_id=assessment["supplier"], before={"status": assessment["status"]},
                       after=after)
    return row


async def revoke(assessment_id: int) -> dict[str, Any]:
    async with write_transaction():
        assessment = await _lock(assessment_id)
        if assessment["status"] in states.CLOSED:
            raise TransitionRefused(f"This assessment is already "
                                    f"{states.describe(assessment['status'])}.")
        return await _set_status(assessment, State.revoked, action="assessment.revoked",
                                 extra={"link_hash": None, "link_nonce": "",
                                        "revoked_at": now()})


async def reissue(assessment_id: int, *, due_date: dt.date | None = None) -> tuple[dict, str]:
    """A new link for the same assessment; the old one stops working at once."""
    async with write_transaction():
        assessment = await _lock(assessment_id)
        if not states.can_reissue(assessment["status"]):
            raise TransitionRefused(f"This assessment is {states.describe(assessment['status'])}; "
                                    "send a new one instead.")
        due = due_date or max(assessment["due_date"], dt.date.today())
        token, link_columns = _new_link(assessment_id)
        status = states.after_reissue(assessment["status"], has_answers=await Answer.exists().where(
            Answer.assessment == assessment_id))
        updated = await _set_status(assessment, status, action="assessment.reissued",
                                    extra={**link_columns, "due_date": due,
                                           "link_expires_at": _link_expiry(due),
                                           "revoked_at": None})
        contact = await SupplierContact.select().where(
            SupplierContact.id == assessment["contact"]).first()
        supplier = await Supplier.select().where(Supplier.id == assessment["supplier"]).first()
        definition = await frozen_definition(assessment["definition"])
        await _invitation(contact=contact, supplier=supplier, definition=definition, due=due,
                          assessment_id=assessment_id, reissued=True)
    return updated, token


async def extend(assessment_id: int, *, due_date: dt.date) -> dict[str, Any]:
    """A later due date (the link lasts as long after it as ever); the reminders start again
    from the new date, and the contact is told."""
    _check_due(due_date, "The new due date")
    async with write_transaction():
        assessment = await _lock(assessment_id)
        if assessment["status"] not in states.OPEN_FOR_ANSWERS:
            raise TransitionRefused(f"This assessment is {states.describe(assessment['status'])}; "
                                    "only one the supplier is still answering can be extended.")
        if assessment["due_date"] and due_date <= assessment["due_date"]:
            raise InvalidInput(f"The new due date must be after the current one, "
                               f"{assessment['due_date']:%-d %B %Y}.")
        updated = await _set_status(
            assessment, assessment["status"], action="assessment.extended",
            extra={"due_date": due_date, "link_expires_at": _link_expiry(due_date),
                   "reminder_stage": ""},
            after={"due_date": due_date, "previous_due_date": assessment["due_date"]})
        contact = await SupplierContact.select().where(
            SupplierContact.id == assessment["contact"]).first()
        definition = await frozen_definition(assessment["definition"])
        organisation = await _organisation_name()
        await mail.queue(
            to=contact["email"], related_type="assessment", related_id=assessment_id,
            subject=f"{organisation}: more time for '{definition.title}', now due "
                    f"{due_date:%d %B %Y}",
            body=(f"Dear {contact['name']},\n\n{organisation} has moved the due date of "
                  f"'{definition.title}' to {due_date:%d %B %Y}. Your link stays the same "
                  f"(keep it private):\n{links.placeholder(assessment_id)}\n\n{organisation}\n"))
    return updated


async def chase(assessment_id: int, *, today: dt.date | None = None) -> dict[str, Any]:
    """Remind the contact now (the scheduled reminders carry on as before)."""
    from portal.assessments.jobs import queue_reminder

    async with write_transaction():
        assessment = await _lock(assessment_id)
        if assessment["status"] not in states.OPEN_FOR_ANSWERS:
            raise TransitionRefused(
                f"This assessment is {states.describe(assessment['status'])}, so there is "
                "nothing to chase: only a questionnaire the supplier is still answering can be "
                "chased.")
        contact = await SupplierContact.select().where(
            SupplierContact.id == assessment["contact"]).first()
        supplier = await Supplier.select(Supplier.name).where(
            Supplier.id == assessment["supplier"]).first()
        definition = await frozen_definition(assessment["definition"])
        await queue_reminder(assessment_id=assessment_id, contact=contact,
                             supplier_name=supplier["name"], title=definition.title,
                             due=assessment["due_date"], today=today or dt.date.today())
        await audit.record("assessment.chased", target_type="assessment",
                           target_id=assessment_id, supplier_id=assessment["supplier"],
                           after={"contact_id": assessment["contact"]})
    return assessment


def _by_link(engine_type: str, *, lock: bool) -> Any:
    query = Assessment.select(
        *Assessment.all_columns(),
        Assessment.definition.content_hash.as_alias("definition_hash"),
    ).where(Assessment.link_hash == Slot("link_hash")).first()
    if lock and engine_type == "postgres":
        query = query.lock_rows("UPDATE", of=(Assessment,))
    return query


# (prepared: building this query cost more CPU than a whole answer save does now)
_BY_LINK = Prepared(Assessment, lambda engine_type: _by_link(engine_type, lock=False))
_BY_LINK_LOCKED = Prepared(Assessment, lambda engine_type: _by_link(engine_type, lock=True))


async def open_link(token: str, *, lock: bool = False) -> LinkContext:
    """The assessment behind a link; unknown, expired and revoked links look the same.

    `lock` (inside a write transaction) also locks the assessment as `_lock` does, in the
    same statement: the status and version read are then the ones the write acts on (on
    PostgreSQL a link revoked meanwhile no longer matches once the lock is granted)."""
    if not token or len(token) > 100:
        raise LinkNotFound()
    row = await (_BY_LINK_LOCKED if lock else _BY_LINK).first(link_hash=hash_secret(token))
    if row is None or row["status"] not in states.LIVE_LINK:
        raise LinkNotFound()
    if row["link_expires_at"] is not None and row["link_expires_at"] < now():
        raise LinkNotFound()
    definition_hash = row.pop("definition_hash")
    return LinkContext(assessment=row,
                       definition=await frozen_definition(row["definition"], definition_hash))


# Answers -------------------------------------------------------------------------------


def _loads(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def answer_rows(assessment_id: int) -> dict[str, dict[str, Any]]:
    rows = await Answer.select().where(Answer.assessment == assessment_id)
    return {r["question_id"]: {**r, "value": _loads(r["value"])} for r in rows}


async def answer_values(assessment_ids: list[int]) -> dict[int, dict[str, Any]]:
    """{assessment id: {question id: value}} for many assessments in one query per chunk."""
    out: dict[int, dict[str, Any]] = {a: {} for a in assessment_ids}
    for start in range(0, len(assessment_ids), 500):
        for r in await Answer.select(Answer.assessment, Answer.question_id, Answer.value).where(
                Answer.assessment.is_in(assessment_ids[start:start + 500])):
            out[r["assessment"]][r["question_id"]] = _loads(r["value"])
    return out


async def evidence_rows(assessment_id: int) -> list[dict[str, Any]]:
    return await EvidenceFile.select(
        EvidenceFile.id, EvidenceFile.filename, EvidenceFile.size, EvidenceFile.sha256,
        EvidenceFile.content_type, EvidenceFile.question_id, EvidenceFile.uploaded_at,
    ).where((EvidenceFile.assessment == assessment_id) & EvidenceFile.withdrawn_at.is_null()) \
        .order_by(EvidenceFile.id)


async def supplier_view(token: str) -> dict[str, Any]:
    link = await open_link(token)
    assessment = link.assessment
    if assessment["status"] == State.sent:
        async with write_transaction():
            assessment = await _lock(assessment["id"])
            if assessment["status"] == State.sent:  # not opened in another tab meanwhile
                assessment = await _set_status(assessment, State.opened,
                                               action="assessment.opened",
                                               extra={"opened_at": now()})
    answers = await answer_rows(assessment["id"])
    evidence = await evidence_rows(assessment["id"])
    values = {qid: a["value"] for qid, a in answers.items()}
    shown = visible_ids(link.definition, values)
    supplier = await Supplier.select(Supplier.id, Supplier.name).where(
        Supplier.id == assessment["supplier"]).first()
    queries = await _open_queries(assessment["id"], answers)
    thread = await threads(assessment["id"])
    definition = link.definition
    return {
        "assessment": {
            "id": assessment["id"], "status": assessment["status"],
            "due_date": assessment["due_date"], "organisation": await _organisation_name(),
            "supplier": supplier["name"], "progress": progress(definition, values),
            "missing": missing_required(definition, values),
            "editable": assessment["status"] in states.OPEN_FOR_ANSWERS,
            "prefill_unchecked": prefill_unchecked(definition, answers),
            "prefill_offer": await previous_offer(assessment)
            if assessment["status"] in PREFILL_STATES
            and not any(a["prefill_kind"] == "previous" for a in answers.values()) else None,
        },
        "questionnaire": {
            "key": definition.key, "version": definition.version, "title": definition.title,
            "description": definition.description,
            "sections": [{
                "id": s.id, "title": s.title, "description": s.description,
                "questions": [{
                    "id": q.id, "type": q.type.value, "text": q.text, "help": q.help,
                    "required": q.required, "visible": q.id in shown,
                    "evidence_expected": q.evidence_expected,
                    "options": [o.model_dump() for o in q.option_list()],
                    "min": q.min, "max": q.max,
                    "show_if": q.show_if.model_dump() if q.show_if else None,
                } for q in s.questions],
            } for s in definition.sections],
        },
        "answers": {
            qid: {"value": a["value"], "comment": a["comment"], "version": a["version"],
                  "open_for_clarification": a["open_for_clarification"],
                  "query": queries.get(qid, {}).get("comment"),
                  "query_id": queries.get(qid, {}).get("id"),
                  "reply": queries.get(qid, {}).get("reply", ""),
                  "thread": thread.get(qid, []),
                  "evidence": [e["id"] for e in evidence if e["question_id"] == qid],
                  "prefill": _prefill_out(a)}
            for qid, a in answers.items()
        },
        "evidence": [{k: v for k, v in e.items() if k != "uploaded_at"} for e in evidence],
    }


async def _open_queries(assessment_id: int, answers: dict[str, dict]) -> dict[str, dict]:
    """The reviewer's latest query (id, comment and the supplier's reply so far) for each
    question reopened for clarification."""
    reopened = [qid for qid, a in answers.items() if a["open_for_clarification"]]
    if not reopened:
        return {}
    rows = await AnswerReview.select(AnswerReview.id, AnswerReview.question_id,
                                     AnswerReview.comment).where(
        (AnswerReview.assessment == assessment_id) & (AnswerReview.decision == "query")
        & AnswerReview.question_id.is_in(reopened)).order_by(AnswerReview.id)
    latest = {r["question_id"]: dict(r) for r in rows}
    if latest:
        replies = await ClarificationReply.select(ClarificationReply.query,
                                                  ClarificationReply.body).where(
            ClarificationReply.query.is_in([r["id"] for r in latest.values()]))
        by_query = {r["query"]: r["body"] for r in replies}
        for row in latest.values():
            row["reply"] = by_query.get(row["id"], "")
    return latest


async def threads(assessment_id: int) -> dict[str, list[dict[str, Any]]]:
    """Each answer's clarification thread, oldest first: the reviewer's queries and
    decisions (AnswerReview) with the supplier's reply to each query (ClarificationReply)."""
    reviews = await AnswerReview.select().where(
        (AnswerReview.assessment == assessment_id) & (AnswerReview.question_id != "")
    ).order_by(AnswerReview.id)
    replies = await ClarificationReply.select().where(
        ClarificationReply.assessment == assessment_id)
    reply_to = {r["query"]: r for r in replies if r["body"]}
    out: dict[str, list[dict[str, Any]]] = {}
    for review in reviews:
        entries = out.setdefault(review["question_id"], [])
        entries.append({"kind": review["decision"], "text": review["comment"],
                        "by": review["reviewer"], "at": review["created_at"],
                        "query_id": review["id"]})
        reply = reply_to.get(review["id"])
        if reply is not None:
            entries.append({"kind": "reply", "text": reply["body"], "by": "supplier",
                            "at": reply["updated_at"], "query_id": review["id"]})
    return out


async def save_reply(token: str, question_id: str, *, body: Any) -> dict[str, Any]:
    """The supplier's written reply to the reviewer's query on one answer (one reply per
    query, kept until the supplier submits again; an empty reply withdraws it)."""
    try:
        text = clean_reply(body)
    except AnswerInvalid as error:
        raise Unprocessable(str(error), extra={"question_id": question_id}) from None
    async with write_transaction():
        link = await open_link(token)
        if link.definition.question(question_id) is None:
            raise NotFound(f"This questionnaire has no question {question_id!r}.")
        assessment = await _lock(link.assessment["id"])
        status = assessment["status"]
        if status != State.clarification_requested:
            if status in states.AWAITING_REVIEW or status in states.DECIDED:
                raise AssessmentLocked(f"This questionnaire is {states.describe(status)}: "
                                       "replies can't be added or changed now.")
            raise Unprocessable("The reviewer has not asked about any answers, so there is "
                                "nothing to reply to.", extra={"question_id": question_id})
        answer = await _answer(assessment["id"], question_id)
        query = await AnswerReview.select(AnswerReview.id).where(
            (AnswerReview.assessment == assessment["id"])
            & (AnswerReview.question_id == question_id) & (AnswerReview.decision == "query")
        ).order_by(AnswerReview.id, ascending=False).first()
        if answer is None or not answer["open_for_clarification"] or query is None:
            raise Unprocessable("The reviewer did not ask about this question, so it takes "
                                "no reply.", extra={"question_id": question_id})
        existing = await ClarificationReply.select().where(
            ClarificationReply.query == query["id"]).first()
        if existing is not None and existing["body"] == text:
            return {"question_id": question_id, "reply": text, "version": existing["version"]}
        # One reply per query (a unique column): a conditional insert that updates in place.
        await ClarificationReply.insert(ClarificationReply(
            assessment=assessment["id"], question_id=question_id, query=query["id"], body=text,
        )).on_conflict(target=ClarificationReply.query, action="DO UPDATE",
                       values=[(ClarificationReply.body, text),
                               (ClarificationReply.updated_at, now())])
        row = await ClarificationReply.select(ClarificationReply.id).where(
            ClarificationReply.query == query["id"]).first()
        version = (existing["version"] + 1) if existing else 1
        await ClarificationReply.update({ClarificationReply.version: version}).where(
            ClarificationReply.id == row["id"])
        # The words stay out of the audit trail (as answers do): which query, how long.
        await audit.record("answer.replied", target_type="assessment", target_id=assessment["id"],
                           supplier_id=assessment["supplier"],
                           after={"question_id": question_id, "query_id": query["id"],
                                  "length": len(text), "version": version})
    return {"question_id": question_id, "reply": text, "version": version}


def _check_editable(assessment: dict, answer: dict | None, question_id: str) -> None:
    status = assessment["status"]
    reopened = bool(answer and answer["open_for_clarification"])
    if states.answer_editable(status, reopened=reopened):
        return
    if status == State.clarification_requested:
        raise AssessmentLocked("Only the questions the reviewer asked about can be changed now.")
    if status in states.AWAITING_REVIEW or status in states.DECIDED:
        raise AssessmentLocked()
    raise AssessmentLocked(f"This questionnaire is {states.describe(status)} and can't be changed.")


def _answer_out(row: dict[str, Any]) -> dict[str, Any]:
    return {"value": _loads(row["value"]), "comment": row["comment"], "version": row["version"]}


_ANSWER = Prepared(Answer, lambda _: Answer.select().where(
    (Answer.assessment == Slot("assessment")) & (Answer.question_id == Slot("question_id"))
).first())
_ANSWER_UPDATE = Prepared(Answer, lambda _: Answer.update({
    Answer.value: Slot("value"), Answer.comment: Slot("comment"), Answer.version: Slot("new"),
    Answer.updated_at: Slot("at")}).where(
    (Answer.id == Slot("id")) & (Answer.version == Slot("version"))).returning(Answer.id))


async def _answer(assessment_id: int, question_id: str) -> dict[str, Any] | None:
    return await _ANSWER.first(assessment=assessment_id, question_id=question_id)


async def save_answer(token: str, question_id: str, *, value: Any, comment: str = "",
                      version: int | None = None) -> int:
    """Save one answer. `version` is the version the caller saw; without one the save may only
    create the answer: an answer that exists and the caller never saw is not overwritten (409
    with the answer now stored). The row is written with a conditional insert (one answer per
    question, a unique index) or a conditional update on its version, never read-then-write,
    and the assessment is locked so a submit or a review can't slip in between."""
    async with write_transaction():
        link = await open_link(token, lock=True)
        question = link.definition.question(question_id)
        if question is None:
            raise NotFound(f"This questionnaire has no question {question_id!r}.")
        assessment = link.assessment
        existing = await _answer(assessment["id"], question_id)
        _check_editable(assessment, existing, question_id)
        try:
            clean = validate_value(question, value)
        except AnswerInvalid as error:
            raise Unprocessable(str(error), extra={"question_id": question_id}) from None
        if question.type == QuestionType.file and clean:
            owned = {e["id"] for e in await evidence_rows(assessment["id"])}
            if not set(clean) <= owned:
                raise Unprocessable("Attach only files uploaded to this questionnaire.",
                                    extra={"question_id": question_id})
        if existing is not None and _loads(existing["value"]) == clean \
                and existing["comment"] == comment:
            # Already stored as asked, whatever version the caller held: a retry after a lost
            # reply (the save had landed) succeeds instead of reporting a conflict.
            return existing["version"]
        # (A row holding nothing at version 1 is a placeholder a clarification request made.)
        if existing is not None and version is None \
                and not (existing["version"] == 1 and _loads(existing["value"]) is None):
            raise AnswerNotSeen(extra={"question_id": question_id,
                                       "current_version": existing["version"],
                                       "current": _answer_out(existing)})
        if existing is not None and version is not None and version != existing["version"]:
            raise Conflict("This answer was changed elsewhere (another tab or person). "
                           "Reload to see the latest answer before changing it.",
                           extra={"question_id": question_id,
                                  "current_version": existing["version"],
                                  "current": _answer_out(existing)})
        stored = json.dumps(clean)
        if existing is None:
            inserted = await Answer.insert(Answer(
                assessment=assessment["id"], question_id=question_id, value=stored,
                comment=comment, version=1)).on_conflict(
                target=(Answer.assessment, Answer.question_id), action="DO NOTHING"
            ).returning(Answer.id)
            if not inserted:
                # Created at the same moment by another request: it is the answer now.
                current = await _answer(assessment["id"], question_id)
                if current and _loads(current["value"]) == clean and current["comment"] == comment:
                    return current["version"]
                raise AnswerNotSeen(extra={"question_id": question_id,
                                           "current_version": current["version"] if current else None,
                                           "current": _answer_out(current) if current else None})
            new_version = 1
        else:
            new_version = existing["version"] + 1
            updated = await _ANSWER_UPDATE.rows(
                value=stored, comment=comment, new=new_version, at=now(), id=existing["id"],
                version=existing["version"])
            if not updated:
                raise Conflict("This answer was changed at the same moment elsewhere; reload it.",
                               extra={"question_id": question_id})
        await audit.record("answer.saved", target_type="assessment", target_id=assessment["id"],
                           supplier_id=assessment["supplier"],
                           after={"question_id": question_id, "version": new_version,
                                  "value": clean, "comment": comment})
        if assessment["status"] in (State.sent, State.opened):
            await _set_status(assessment, State.in_progress, action="assessment.started")
    return new_version


async def add_evidence(token: str, question_id: str, *, filename: str | None, data: bytes,
                       attach: bool = False) -> dict[str, Any]:
    link = await open_link(token)
    question = link.definition.question(question_id)
    if question is None:
        raise Unprocessable(f"This questionnaire has no question {question_id!r}.")
    # Checked early so a locked questionnaire refuses before the file is stored ...
    _check_editable(link.assessment, await _answer(link.assessment["id"], question_id),
                    question_id)
    content_type = accept_upload(data, filename, max_bytes=get_settings().max_upload_bytes)
    digest = hashlib.sha256(data).hexdigest()
    key = key_for(digest)
    # Stored before the record: a failed store leaves no record pointing at nothing.
    await evidence_store().put(key, data, content_type)
    async with write_transaction():
        # ... and again under the lock, so an upload racing a submit or a review never lands
        # after it (the stored file is content-addressed; with no record it is just unused).
        assessment = await _lock(link.assessment["id"])
        existing = await _answer(assessment["id"], question_id)
        _check_editable(assessment, existing, question_id)
        row = EvidenceFile(supplier=assessment["supplier"], assessment=assessment["id"],
                           question_id=question_id, storage_key=key,
                           filename=safe_filename(filename, content_type),
                           content_type=content_type, size=len(data), sha256=digest,
                           uploaded_by="supplier")
        await row.save()
        await audit.record("evidence.uploaded", target_type="evidence", target_id=row.id,
                           supplier_id=assessment["supplier"],
                           after={"assessment_id": assessment["id"],
                                  "question_id": question_id, "sha256": digest,
                                  "size": len(data), "content_type": content_type})
        if attach and question.type == QuestionType.file:
            current = existing and _loads(existing["value"]) or []
            await save_answer(token, question_id, value=sorted({*current, row.id}),
                              comment=existing["comment"] if existing else "",
                              version=existing["version"] if existing else None)
    return {"id": row.id, "filename": row.filename, "size": row.size, "sha256": digest,
            "content_type": content_type, "question_id": question_id}


async def submit(token: str) -> str:
    async with write_transaction():
        link = await open_link(token)
        assessment = await _lock(link.assessment["id"])
        if assessment["status"] not in states.OPEN_FOR_ANSWERS:
            raise AssessmentLocked("This questionnaire has already been submitted."
                                   if assessment["status"] in states.AWAITING_REVIEW
                                   or assessment["status"] in states.DECIDED else
                                   f"This questionnaire is {states.describe(assessment['status'])} "
                                   "and can't be submitted.")
        answers = await answer_rows(assessment["id"])
        missing = missing_required(link.definition, {k: a["value"] for k, a in answers.items()})
        if missing:
            raise Unprocessable(f"{len(missing)} required question(s) still need an answer.",
                                extra={"missing": missing})
        unchecked = prefill_unchecked(link.definition, answers)
        if unchecked:
            raise Unprocessable(f"{len(unchecked)} section(s) with pre-filled answers still need "
                                "checking: open each one, check the answers and save it.",
                                extra={"prefill_unchecked": unchecked})
        status = states.after_submit(assessment["status"])
        reopened = [r["question_id"] for r in await Answer.select(Answer.question_id).where(
            (Answer.assessment == assessment["id"]) & (Answer.open_for_clarification == True))]  # noqa: E712
        await Answer.update({Answer.open_for_clarification: False}).where(
            Answer.assessment == assessment["id"])
        submitted = await _set_status(assessment, status, action=f"assessment.{status}",
                                      extra={"submitted_at": now()})
        submitted = await assignment.assign_on_submit(submitted)
        contact = await SupplierContact.select().where(
            SupplierContact.id == assessment["contact"]).first()
        organisation = await _organisation_name()
        await mail.queue(
            to=contact["email"], related_type="assessment", related_id=assessment["id"],
            subject=f"{organisation}: we have received '{link.definition.title}'",
            body=(f"Dear {contact['name']},\n\nThank you. {organisation} has received your answers "
                  f"to '{link.definition.title}'. A reviewer will look at them and contact you "
                  "if anything needs clarifying. You can still open your link to see what you "
                  f"submitted.\n\n{organisation}\n"))
        await _notify_staff(submitted, definition=link.definition, status=status,
                            answers={k: a["value"] for k, a in answers.items()},
                            reopened=reopened)
    return status


# Pre-filled answers (issue #16 item 4) -------------------------------------------------
# An answer the supplier gave before (a signed bundle it uploads, or its answers to our own
# earlier accepted assessment) pre-fills matching questions (questionnaires/prefill.py) as a
# draft marked with its source; the supplier must open and save each section holding one
# before it can submit, and the reviewer sees "Pre-filled from ..." beside it.

PREFILL_STATES = frozenset({State.sent, State.opened, State.in_progress})
PREFILL_KINDS = ("bundle_verified", "bundle_unverified", "previous")


def _prefill_out(row: dict[str, Any]) -> dict[str, Any] | None:
    if not row.get("prefill_kind"):
        return None
    return {"kind": row["prefill_kind"], "source": row["prefill_source"],
            "verified": row["prefill_kind"] != "bundle_unverified",
            "changed": _loads(row["value"]) != _loads(row["prefill_value"]),
            "checked": row["prefill_reviewed_at"] is not None}


def prefill_unchecked(definition: Definition, answers: dict[str, dict]) -> list[str]:
    """The sections (ids, in order) holding a pre-filled answer the supplier has not yet
    checked by saving its section."""
    waiting = {qid for qid, a in answers.items()
               if a.get("prefill_kind") and a.get("prefill_reviewed_at") is None}
    return [s.id for s in definition.sections if any(q.id in waiting for q in s.questions)]


async def previous_offer(assessment: dict[str, Any]) -> dict[str, Any] | None:
    """Our latest earlier accepted assessment of the same questionnaire key (any version:
    the matching rule decides which answers carry over) for the same supplier."""
    current = await QuestionnaireDefinition.select(QuestionnaireDefinition.key).where(
        QuestionnaireDefinition.id == assessment["definition"]).first()
    if current is None:
        return None
    row = await Assessment.select(Assessment.id, Assessment.decided_at).where(
        (Assessment.supplier == assessment["supplier"]) & (Assessment.id != assessment["id"])
        & (Assessment.status == State.accepted)
        & (Assessment.definition.key == current["key"])).order_by(
        Assessment.decided_at, ascending=False).first()
    return row


async def prefill(token: str, *, source_definition: Definition, source_answers: dict[str, Any],
                  kind: str, source: str, audit_after: dict[str, Any] | None = None) -> list[str]:
    """Pre-fill the matching questions nobody answered yet, as drafts marked with `source`.
    Under the assessment's lock, with conditional inserts/updates (one answer per question):
    the same pre-fill sent twice at once fills each question once."""
    assert kind in PREFILL_KINDS
    async with write_transaction():
        link = await open_link(token)
        assessment = await _lock(link.assessment["id"])
        if assessment["status"] not in PREFILL_STATES:
            raise Conflict("Answers can only be filled in from earlier ones before this "
                           "questionnaire is submitted.")
        existing = await answer_rows(assessment["id"])
        target = link.definition
        matches = prefill_rules.matching_answers(
            source_key=source_definition.key, source_version=source_definition.version,
            source_questions=[q.model_dump(mode="json") for q in source_definition.questions()],
            source_answers=source_answers, target_key=target.key,
            target_version=target.version,
            target_questions=[q.model_dump(mode="json") for q in target.questions()],
            already_answered={qid: a["value"] for qid, a in existing.items()},
            equivalences=prefill_rules.load_equivalences())
        filled: list[str] = []
        for qid, (_, value) in matches.items():
            try:
                clean = validate_value(target.question(qid), value)
            except AnswerInvalid:
                continue  # an answer the question no longer accepts: left for the supplier
            stored = json.dumps(clean)
            marks = {Answer.prefill_kind: kind, Answer.prefill_source: source[:300],
                     Answer.prefill_value: stored, Answer.prefill_reviewed_at: None}
            row = existing.get(qid)
            if row is None:
                done = await Answer.insert(Answer(
                    assessment=assessment["id"], question_id=qid, value=stored, comment="",
                    version=1, prefill_kind=kind, prefill_source=source[:300],
                    prefill_value=stored)).on_conflict(
                    target=(Answer.assessment, Answer.question_id), action="DO NOTHING"
                ).returning(Answer.id)
            else:  # a row holding nothing (e.g. an emptied answer): only if still so
                done = await Answer.update({
                    Answer.value: stored, Answer.version: row["version"] + 1,
                    Answer.updated_at: now(), **marks}).where(
                    (Answer.id == row["id"]) & (Answer.version == row["version"])
                ).returning(Answer.id)
            if done:
                filled.append(qid)
        if filled:
            await audit.record("answer.prefilled", target_type="assessment",
                               target_id=assessment["id"], supplier_id=assessment["supplier"],
                               after={"kind": kind, "source": source, "question_ids": filled,
                                      **(audit_after or {})})
            if assessment["status"] in (State.sent, State.opened):
                await _set_status(assessment, State.in_progress, action="assessment.started")
    return filled


async def prefill_from_previous(token: str) -> list[str]:
    """Offer accepted: fill from our own earlier accepted assessment (the one offered)."""
    link = await open_link(token)
    offer = await previous_offer(link.assessment)
    if offer is None:
        raise NotFound("There are no earlier accepted answers to use.")
    earlier = await Assessment.select(Assessment.definition).where(
        Assessment.id == offer["id"]).first()
    definition = await frozen_definition(earlier["definition"])
    values = {qid: a["value"] for qid, a in (await answer_rows(offer["id"])).items()}
    decided = offer["decided_at"]
    return await prefill(token, source_definition=definition, source_answers=values,
                         kind="previous",
                         source=f"your answers accepted on {decided:%-d %B %Y} "
                                f"(assessment {offer['id']})",
                         audit_after={"previous_assessment_id": offer["id"]})


async def mark_prefill_checked(token: str, question_ids: list[str]) -> int:
    """The supplier saved a section: its pre-filled answers count as checked."""
    async with write_transaction():
        link = await open_link(token)
        if link.assessment["status"] not in states.OPEN_FOR_ANSWERS or not question_ids:
            return 0
        done = await Answer.update({Answer.prefill_reviewed_at: now()}).where(
            (Answer.assessment == link.assessment["id"]) & Answer.question_id.is_in(question_ids)
            & (Answer.prefill_kind != "") & Answer.prefill_reviewed_at.is_null()
        ).returning(Answer.question_id)
        if done:
            await audit.record("answer.prefill_checked", target_type="assessment",
                               target_id=link.assessment["id"],
                               supplier_id=link.assessment["supplier"],
                               after={"question_ids": sorted(r["question_id"] for r in done)})
    return len(done)


async def _addresses(condition: Any) -> list[str]:
    # Someone who turned these emails off (their account page) is never on the list.
    rows = await StaffMember.select(StaffMember.user.email.as_alias("email")).where(
        (StaffMember.user.active == True) & (StaffMember.user.email != "")  # noqa: E712
        & (StaffMember.notify_by_email == True) & condition)  # noqa: E712
    # "@staff.invalid" stands in for a user created without an address: nobody to mail.
    return sorted({r["email"] for r in rows if not r["email"].endswith(".invalid")})


async def staff_recipients(assessment: dict[str, Any], *,
                           queried_by: list[str] | None = None) -> list[str]:
    """Who hears that a supplier submitted or answered a query: the reviewers who queried
    (for replies) and the assigned reviewer; when that is nobody (or they turned these emails
    off), the review team's address (the organisation's setting) or else every active reviewer
    who has them on."""
    found: set[str] = set()
    if queried_by:
        found |= set(await _addresses(StaffMember.user.username.is_in(sorted(queried_by))))
    assigned = assessment.get("assigned_to")
    if isinstance(assigned, int):
        found |= set(await _addresses(StaffMember.user == assigned))
    if found:
        return sorted(found)
    team = await Organisation.select(Organisation.review_team_email).first()
    if team and team["review_team_email"]:
        return [team["review_team_email"]]
    return await _addresses(StaffMember.role == "reviewer")


async def _notify_staff(assessment: dict[str, Any], *, definition: Definition, status: str,
                        answers: dict[str, Any], reopened: list[str]) -> None:
    supplier = await Supplier.select(Supplier.name).where(
        Supplier.id == assessment["supplier"]).first()
    page = f"{get_settings().effective_base_url}/staff/assessments/{assessment['id']}"
    queried_by: list[str] = []
    if status == State.resubmitted:
        replies = {r["question_id"] for r in await ClarificationReply.select(
            ClarificationReply.question_id).where(
            (ClarificationReply.assessment == assessment["id"]) & (ClarificationReply.body != ""))}
        queries = await AnswerReview.select(AnswerReview.question_id, AnswerReview.reviewer).where(
            (AnswerReview.assessment == assessment["id"]) & (AnswerReview.decision == "query"))
        asked = [q for q in dict.fromkeys(r["question_id"] for r in queries) if q in reopened]
        queried_by = sorted({r["reviewer"] for r in queries if r["question_id"] in asked})
        subject = f"{supplier['name']} answered your queries on '{definition.title}'"
        listed = "\n".join(
            f"- {definition.question(q).text} ({'written reply' if q in replies else 'answer only'})"
            for q in asked if definition.question(q))
        what = (f"{supplier['name']} has answered the queries on '{definition.title}' and "
                f"submitted again ({len(replies & set(asked))} written replies).\n\n"
                f"Queried questions:\n{listed or '- none named'}")
    else:
        subject = f"{supplier['name']} submitted '{definition.title}'"
        unmet = compliance(definition, answers)["failing"]
        listed = "\n".join(f"- {definition.question(q).text}" for q in unmet[:20])
        more = f"\n- and {len(unmet) - 20} more" if len(unmet) > 20 else ""
        what = (f"{supplier['name']} has submitted '{definition.title}' for review."
                + (f"\n\n{len(unmet)} answer(s) don't meet the requirement:\n{listed}{more}"
                   if unmet else "\n\nEvery scored answer meets the requirement."))
    for address in await staff_recipients(assessment, queried_by=queried_by):
        await mail.queue(to=address, related_type="assessment_staff",
                         related_id=assessment["id"], subject=subject,
                         body=f"{what}\n\nReview it here (sign in needed):\n{page}\n")


# Staff: reading and reviewing ----------------------------------------------------------


async def staff_view(assessment_id: int) -> dict[str, Any]:
    assessment = await _get_assessment(assessment_id)
    definition = await frozen_definition(assessment["definition"])
    answers = await answer_rows(assessment_id)
    evidence = await evidence_rows(assessment_id)
    reviews = await AnswerReview.select().where(AnswerReview.assessment == assessment_id) \
        .order_by(AnswerReview.id)
    thread = await threads(assessment_id)
    history = await AuditEvent.select(
        AuditEvent.occurred_at, AuditEvent.actor, AuditEvent.action, AuditEvent.after).where(
        (AuditEvent.target_type == "assessment") & (AuditEvent.target_id == str(assessment_id))
        & (AuditEvent.action != "answer.saved")).order_by(AuditEvent.id)
    supplier = await Supplier.select(Supplier.id, Supplier.name).where(
        Supplier.id == assessment["supplier"]).first()
    contact = await SupplierContact.select(SupplierContact.id, SupplierContact.name,
                                           SupplierContact.email).where(
        SupplierContact.id == assessment["contact"]).first()
    values = {k: a["value"] for k, a in answers.items()}
    shown = visible_ids(definition, values)
    previous = await Assessment.select(Assessment.id, Assessment.submitted_at).where(
        (Assessment.supplier == assessment["supplier"]) & (Assessment.id < assessment_id)
        & (Assessment.definition.key == definition.key)
        & Assessment.status.is_in(sorted(states.ANSWERED))
    ).order_by(Assessment.id, ascending=False).first()
    before = await answer_rows(previous["id"]) if previous else {}
    questions = []
    for section in definition.sections:
        for q in section.questions:
            answer = answers.get(q.id)
            q_reviews = [r for r in reviews if r["question_id"] == q.id]
            questions.append({
                "meets": meets_requirement(q, answer["value"] if answer else None),
                "last_decision": q_reviews[-1]["decision"] if q_reviews else None,
                "section": section.title, "question_id": q.id, "text": q.text,
                "type": q.type.value, "visible": q.id in shown, "required": q.required,
                "compliant": q.compliant, "weight": q.weight,
                "labels": {o.value: o.label for o in q.option_list()},
                "value": answer["value"] if answer else None,
                "prefill": _prefill_out(answer) if answer else None,
                "comment": answer["comment"] if answer else "",
                "version": answer["version"] if answer else None,
                "open_for_clarification": bool(answer and answer["open_for_clarification"]),
                "previous_value": before[q.id]["value"] if q.id in before else None,
                "changed": bool(previous) and (before.get(q.id, {}).get("value")
                                               != (answer["value"] if answer else None)),
                "evidence": [e for e in evidence if e["question_id"] == q.id],
                "reviews": [{"decision": r["decision"], "comment": r["comment"],
                             "reviewer": r["reviewer"], "at": r["created_at"]}
                            for r in q_reviews],
                "thread": thread.get(q.id, []),
            })
    return {
        "id": assessment_id, "status": assessment["status"], "due_date": assessment["due_date"],
        "version": assessment["version"],
        "assigned_to": assessment["assigned_to"], "assigned_at": assessment["assigned_at"],
        "supplier": supplier, "contact": contact,
        "questionnaire": {"key": definition.key, "version": definition.version,
                          "title": definition.title},
        "sent_at": assessment["sent_at"], "submitted_at": assessment["submitted_at"],
        "decided_at": assessment["decided_at"], "review_comment": assessment["review_comment"],
        "progress": progress(definition, values), "questions": questions, "evidence": evidence,
        "schedule": schedule(assessment),
        "previous": {"id": previous["id"], "submitted_at": previous["submitted_at"]} if previous else None,
        "history": [{"at": h["occurred_at"], "actor": h["actor"], "action": h["action"],
                     "detail": _loads(h["after"])} for h in history],
    }


def schedule(assessment: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """What the scheduled jobs will do next for this assessment, by the rules they use."""
    from portal.assessments.jobs import next_reminder

    open_ = assessment["status"] in states.OPEN_FOR_ANSWERS
    reminder = next_reminder(assessment["due_date"], today or dt.date.today(),
                             assessment["reminder_stage"]) if open_ else None
    return {"next_reminder": reminder and {"on": reminder[0], "stage": reminder[1]},
            "link_expires_at": assessment["link_expires_at"] if open_ or assessment["status"]
            in states.LIVE_LINK else None}


async def review_answer(assessment_id: int, question_id: str, *, decision: str, comment: str,
                        reviewer: str) -> None:
    async with write_transaction():
        assessment = await _lock(assessment_id)
        definition = await frozen_definition(assessment["definition"])
        if definition.question(question_id) is None:
            raise NotFound(f"This questionnaire has no question {question_id!r}.")
        if assessment["status"] not in states.AWAITING_REVIEW:
            raise TransitionRefused(f"Answers can be reviewed once submitted (this one is "
                                    f"{states.describe(assessment['status'])}).")
        if assessment["status"] != State.in_review:
            # The first answer a reviewer looks at puts the assessment in review.
            await _set_status(assessment, State.in_review, action="assessment.review_started")
        await AnswerReview.insert(AnswerReview(assessment=assessment_id, question_id=question_id,
                                               decision=decision, comment=comment,
                                               reviewer=reviewer))
        await audit.record("answer.reviewed", target_type="assessment", target_id=assessment_id,
                           supplier_id=assessment["supplier"],
                           after={"question_id": question_id, "decision": decision,
                                  "comment": comment, "reviewer": reviewer})


async def review(assessment_id: int, *, decision: str, comment: str,
                 question_ids: list[str] | None, reviewer: str) -> dict[str, Any]:
    async with write_transaction():
        assessment = await _lock(assessment_id)
        if assessment["status"] not in states.AWAITING_REVIEW:
            raise TransitionRefused(f"Only submitted assessments can be reviewed (this one is "
                                    f"{states.describe(assessment['status'])}).")
        if decision in ("accept", "reject"):
            if decision == "reject" and not comment.strip():
                raise InvalidInput("Say why the assessment is rejected (comment).")
            status = State.accepted if decision == "accept" else State.rejected
            decided = await _set_status(assessment, status, action=f"assessment.{status.value}",
                                        extra={"decided_at": now(), "review_comment": comment},
                                        comment=comment)
            return decided
        # clarify: reopen only the questions asked about
        definition = await frozen_definition(assessment["definition"])
        if not question_ids:
            raise InvalidInput("Name the questions that need clarification (question_ids).")
        unknown = [q for q in question_ids if definition.question(q) is None]
        if unknown:
            raise InvalidInput(f"Not questions in this questionnaire: {', '.join(unknown)}.")
        if not comment.strip():
            raise InvalidInput("Tell the supplier what needs clarifying (comment).")
        answers = await answer_rows(assessment_id)
        asked = list(dict.fromkeys(question_ids))
        # The follow-up questions an answer reveals open with it (changing "No" to "Yes"
        # must let the supplier answer what "Yes" asks next); only the asked ones get a query.
        reopen = asked + sorted(follow_ups(definition, asked))
        for qid in reopen:
            if qid in answers:
                await Answer.update({Answer.open_for_clarification: True}).where(
                    Answer.id == answers[qid]["id"])
            else:
                # Conditional insert (one answer per question); the lock keeps saves out.
                await Answer.insert(Answer(assessment=assessment_id, question_id=qid,
                                           value="null", open_for_clarification=True)).on_conflict(
                    target=(Answer.assessment, Answer.question_id), action="DO UPDATE",
                    values=[(Answer.open_for_clarification, True)])
            if qid not in asked:
                continue
            latest = await AnswerReview.select(AnswerReview.decision).where(
                (AnswerReview.assessment == assessment_id) & (AnswerReview.question_id == qid)
            ).order_by(AnswerReview.id, ascending=False).first()
            if latest is None or latest["decision"] != "query":
                # Keep a reviewer's own query on the answer; otherwise the overall comment.
                await AnswerReview.insert(AnswerReview(assessment=assessment_id, question_id=qid,
                                                       decision="query", comment=comment,
                                                       reviewer=reviewer))
        due = max(assessment["due_date"], dt.date.today() + dt.timedelta(days=14))
        updated = await _set_status(
            assessment, State.clarification_requested,
            action="assessment.clarification_requested",
            extra={"review_comment": comment, "due_date": due,
                   "link_expires_at": max(assessment["link_expires_at"] or now(), _link_expiry(due))},
            comment=comment)
        contact = await SupplierContact.select().where(
            SupplierContact.id == assessment["contact"]).first()
        organisation = await _organisation_name()
        queries = await _open_queries(assessment_id, await answer_rows(assessment_id))
        listed = "\n".join(
            f"{n}. {definition.question(qid).text}\n   Our question: "
            + queries.get(qid, {}).get("comment", comment).replace("\n", "\n   ")
            for n, qid in enumerate(asked, start=1))
        await mail.queue(
            to=contact["email"], related_type="assessment", related_id=assessment_id,
            subject=f"{organisation}: please clarify {len(asked)} answer(s) in "
                    f"'{definition.title}'",
            body=(f"Dear {contact['name']},\n\n{organisation} has reviewed your answers and "
                  f"asks you to clarify {len(asked)} of them:\n\n{listed}\n\n"
                  + (f"{comment}\n\n" if len(asked) > 1 else "")
                  + f"Please open your questionnaire (keep this link private):\n"
                  f"{links.placeholder(assessment_id)}\n\nFor each question you can change "
                  f"your answer and write a reply. Do this by {due:%d %B %Y}, then submit "
                  f"again. Other answers stay as you left them.\n\n{organisation}\n"))
    return updated


def compliant_undecided(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The answers "accept all compliant answers" would accept: shown, meeting the
    requirement, and not yet accepted or queried."""
    return [q for q in view["questions"]
            if q["visible"] and q["meets"] is True and q["last_decision"] is None
            and not q["open_for_clarification"]]


async def accept_compliant(assessment_id: int, *, question_ids: list[str],
                           reviewer: str) -> list[str]:
    """Accept, in one transaction, the compliant answers the reviewer confirmed (those still
    undecided when it runs: a second press of the button, or another reviewer's decision in
    between, leaves nothing twice). Each goes through `review_answer`, so each is audited as
    a single decision is; one event records the batch."""
    async with write_transaction():
        assessment = await _lock(assessment_id)  # a double submit waits here, then skips all
        if assessment["status"] not in states.AWAITING_REVIEW:
            raise TransitionRefused(f"Answers can be reviewed once submitted (this one is "
                                    f"{states.describe(assessment['status'])}).")
        eligible = {q["question_id"] for q in compliant_undecided(await staff_view(assessment_id))}
        chosen = [q for q in dict.fromkeys(question_ids) if q in eligible]
        for question_id in chosen:
            await review_answer(assessment_id, question_id, decision="accepted", comment="",
                                reviewer=reviewer)
        await audit.record("assessment.compliant_accepted", target_type="assessment",
                           target_id=assessment_id, supplier_id=assessment["supplier"],
                           after={"accepted": len(chosen), "asked": len(question_ids),
                                  "question_ids": chosen})
    return chosen


async def assign_reviewer(assessment_id: int, user_id: int | None) -> dict[str, Any]:
    async with write_transaction():
        assessment = await _lock(assessment_id)
        if assessment["status"] in states.CLOSED:
            raise TransitionRefused(f"This assessment is {states.describe(assessment['status'])}"
                                    "; there is nothing left to review.")
        return await assignment.assign(assessment, user_id)


async def fetch_evidence(evidence_id: int) -> tuple[dict[str, Any], bytes | None, str | None]:
    row = await EvidenceFile.select().where(EvidenceFile.id == evidence_id).first()
    if row is None:
        raise NotFound(f"No evidence file with id {evidence_id}.")
    store = evidence_store()
    url = store.download_url(row["storage_key"], row["filename"], row["content_type"])
    if url:
        return row, None, url
    return row, await store.get(row["storage_key"]), None
