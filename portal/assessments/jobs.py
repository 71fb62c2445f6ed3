"""The questionnaires' scheduled work: reminders and link expiry (run by `portal/jobs.py`).

Safe to run twice at once: each reminder and expiry is claimed with a conditional update.
Reminders carry the supplier's link as a placeholder the outbox fills when it sends.
"""

from __future__ import annotations

import datetime as dt

from models.tables import Assessment, Supplier, SupplierContact
from portal.assessments import links
from portal.core import audit, mail
from portal.core.db import write_transaction
from portal.core.security import now
from questionnaires import states

OPEN = sorted(states.OPEN_FOR_ANSWERS)
STAGES = [("due_7", 7), ("due_1", 1), ("overdue", -1)]


def reminder_due(due: dt.date, today: dt.date, stage: str) -> str | None:
    """The next reminder stage to send, if any (plain rule, tested alone)."""
    order = [s for s, _ in STAGES]
    done = order.index(stage) if stage in order else -1
    days_left = (due - today).days
    wanted = None
    if days_left < 0:
        wanted = "overdue"
    elif days_left <= 1:
        wanted = "due_1"
    elif days_left <= 7:
        wanted = "due_7"
    if wanted is None or order.index(wanted) <= done:
        return None
    return wanted


STAGE_WORDS = {"due_7": "a week before the due date", "due_1": "the day before the due date",
               "overdue": "overdue"}


def next_reminder(due: dt.date, today: dt.date, stage: str) -> tuple[dt.date, str] | None:
    """The day the daily reminder run will next send one, and which (the same rule as
    `reminder_due`, tried day by day from today); None when none is left to send."""
    for days in range(0, (due - today).days + 3 if due >= today else 2):
        day = today + dt.timedelta(days=days)
        stage_then = reminder_due(due, day, stage)
        if stage_then is not None:
            return day, stage_then
    return None


async def queue_reminder(*, assessment_id: int, contact: dict, supplier_name: str,
                         title: str, due: dt.date, today: dt.date) -> None:
    """The reminder email (scheduled or "chase now"): names the questionnaire and carries the
    link as a placeholder the outbox fills when it sends."""
    when = "is overdue" if due < today else f"is due on {due:%d %B %Y}"
    subject = f"Reminder: '{title}' for {supplier_name} {when}"
    await mail.queue(
        to=contact["email"], related_type="assessment", related_id=assessment_id,
        subject=subject,
        body=(f"Dear {contact['name']},\n\nThe questionnaire '{title}' we sent {supplier_name} "
              f"{when}. Please finish it here (keep this link private); your saved "
              f"answers are still there:\n{links.placeholder(assessment_id)}\n"))


async def send_reminders(today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    rows = await Assessment.select(Assessment.id, Assessment.due_date, Assessment.reminder_stage,
                                   Assessment.contact, Assessment.supplier,
                                   Assessment.definition.title.as_alias("title")).where(
        Assessment.status.is_in(OPEN) & (Assessment.due_date <= today + dt.timedelta(days=7)))
    sent = 0
    for row in rows:
        stage = reminder_due(row["due_date"], today, row["reminder_stage"])
        if stage is None:
            continue
        async with write_transaction():
            claimed = await Assessment.update({Assessment.reminder_stage: stage}).where(
                (Assessment.id == row["id"]) & (Assessment.reminder_stage == row["reminder_stage"])
            ).returning(Assessment.id)
            if not claimed:
                continue  # another run took it
            contact = await SupplierContact.select().where(SupplierContact.id == row["contact"]).first()
            supplier = await Supplier.select(Supplier.name).where(Supplier.id == row["supplier"]).first()
            await queue_reminder(assessment_id=row["id"], contact=contact,
                                 supplier_name=supplier["name"], title=row["title"],
                                 due=row["due_date"], today=today)
            await audit.record("assessment.reminded", target_type="assessment", target_id=row["id"],
                               supplier_id=row["supplier"], after={"stage": stage})
            sent += 1
    return sent


async def expire_links() -> int:
    rows = await Assessment.select(Assessment.id, Assessment.status, Assessment.supplier).where(
        Assessment.status.is_in(OPEN) & (Assessment.link_expires_at < now()))
    expired = 0
    for row in rows:
        async with write_transaction():
            states.check_move(row["status"], states.State.expired)
            done = await Assessment.update({Assessment.status: states.State.expired,
                                            Assessment.link_hash: None,
                                            Assessment.link_nonce: ""}).where(
                (Assessment.id == row["id"]) & (Assessment.status == row["status"])
            ).returning(Assessment.id)
            if done:
                await audit.record("assessment.expired", target_type="assessment",
                                   target_id=row["id"], supplier_id=row["supplier"],
                                   before={"status": row["status"]}, after={"status": states.State.expired})
                expired += 1
    return expired
