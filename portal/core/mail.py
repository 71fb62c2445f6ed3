"""Email through an outbox: queued in the same transaction as the change, sent after commit.

Without PORTAL_SMTP_URL mail is written to the log and kept in the outbox (status
``logged``); with it, mail goes by SMTP with retries and back-off, and stays queued while
the server is down. A stored body may carry placeholders (a supplier link is never stored);
the caller of `dispatch` passes the filler that builds them at send time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import smtplib
import ssl
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlparse

from models.tables import OutboundEmail
from portal.core.logging import get_logger
from portal.core.security import now
from portal.settings import Settings

log = get_logger("portal.mail")
MAX_ATTEMPTS = 8


async def queue(*, to: str, subject: str, body: str, related_type: str = "",
                related_id: object = "") -> None:
    await OutboundEmail.insert(OutboundEmail(
        to_address=to, subject=subject[:300], body=body, status="queued",
        related_type=related_type, related_id=str(related_id), next_attempt_at=now()))


STATUSES = ("queued", "sending", "sent", "logged", "failed")


async def outbox(*, status: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """The outbox for the admin's view, newest first: everything but the body (a body is
    filled with links only at send time, but it is still the supplier's mail)."""
    where = OutboundEmail.status == status if status else None
    rows = OutboundEmail.select(
        OutboundEmail.id, OutboundEmail.to_address, OutboundEmail.subject, OutboundEmail.status,
        OutboundEmail.attempts, OutboundEmail.last_error, OutboundEmail.related_type,
        OutboundEmail.related_id, OutboundEmail.created_at, OutboundEmail.sent_at,
        OutboundEmail.next_attempt_at,
    ).order_by(OutboundEmail.id, ascending=False).limit(limit).offset(offset)
    total = OutboundEmail.count()
    if where is not None:
        rows, total = rows.where(where), total.where(where)
    return await rows, await total


def _send_smtp(settings: Settings, message: EmailMessage) -> None:
    url = urlparse(settings.smtp_url or "")
    port = url.port or (465 if url.scheme == "smtps" else 25)
    host = url.hostname or "localhost"
    if url.scheme == "smtps":
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=10,
                                                context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=10)
    with server:
        if url.scheme == "smtp+starttls":
            server.starttls(context=ssl.create_default_context())
        if url.username:
            server.login(unquote(url.username), unquote(url.password or ""))
        server.send_message(message)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(2 ** attempts, 240))


# How long a sender may hold a row in `sending`; after that it is taken for dead and the row
# goes back to the queue (the mail may then go twice if the worker died after the server took
# it, never zero times).
SENDING_LEASE = dt.timedelta(minutes=10)

# Fills what the stored body leaves out (a supplier link is built at send time, never stored).
Filler = Callable[[dict[str, Any]], Awaitable[str]]


class Unbuildable(ValueError):
    """A message that can't be built (a header with a line break, an unusable address)."""


def build(settings: Settings, mail: dict[str, Any], body: str) -> EmailMessage:
    try:
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = mail["to_address"]
        message["Subject"] = mail["subject"]
        message.set_content(body)
        message.as_bytes()  # header folding fails here, not halfway through an SMTP session
    except (ValueError, TypeError, LookupError) as error:
        raise Unbuildable(f"The message can't be built: {error}") from None
    return message


async def reap(lease: dt.timedelta = SENDING_LEASE) -> int:
    """Rows left in `sending` past their lease (the sender died) go back to the queue."""
    back = await OutboundEmail.update({OutboundEmail.status: "queued",
                                       OutboundEmail.next_attempt_at: now()}).where(
        (OutboundEmail.status == "sending") & (OutboundEmail.next_attempt_at < now())
    ).returning(OutboundEmail.id)
    if back:
        log.warning("mail_requeued", count=len(back), outbox_ids=[r["id"] for r in back][:20])
    return len(back)


async def _fail(mail: dict[str, Any], reason: str) -> None:
    await OutboundEmail.update({
        OutboundEmail.status: "failed", OutboundEmail.attempts: mail["attempts"] + 1,
        OutboundEmail.last_error: reason[:500]}).where(OutboundEmail.id == mail["id"])
    log.error("mail_failed", outbox_id=mail["id"], reason=reason[:200])


async def _defer(mail: dict[str, Any], error: BaseException) -> None:
    attempts = mail["attempts"] + 1
    status = "failed" if attempts >= MAX_ATTEMPTS else "queued"
    await OutboundEmail.update({
        OutboundEmail.status: status, OutboundEmail.attempts: attempts,
        OutboundEmail.last_error: f"{type(error).__name__}: {error}"[:500],
        OutboundEmail.next_attempt_at: now() + backoff(attempts),
    }).where(OutboundEmail.id == mail["id"])
    log.warning("mail_deferred", outbox_id=mail["id"], attempts=attempts,
                error=type(error).__name__)


async def dispatch(settings: Settings, *, limit: int = 100, fill: Filler | None = None,
                   lease: dt.timedelta = SENDING_LEASE) -> dict[str, int]:
    """Send what is due. Each row is claimed with a conditional update, so two runs at once
    never send the same message twice; a claim is a lease (see `reap`). A message that can't
    be built is marked failed with the reason and the rest still go."""
    sent = failed = unbuildable = 0
    requeued = await reap(lease)
    due = await OutboundEmail.select(OutboundEmail.id).where(
        (OutboundEmail.status == "queued") & (OutboundEmail.next_attempt_at <= now())
    ).order_by(OutboundEmail.id).limit(limit)
    for row in due:
        claimed = await OutboundEmail.update({OutboundEmail.status: "sending",
                                              OutboundEmail.next_attempt_at: now() + lease}).where(
            (OutboundEmail.id == row["id"]) & (OutboundEmail.status == "queued")
        ).returning(OutboundEmail.id)
        if not claimed:
            continue
        mail = await OutboundEmail.select().where(OutboundEmail.id == row["id"]).first()
        try:
            body = await fill(mail) if fill is not None else mail["body"]
            # Built the same way whether it is sent or only logged, so a message that can't be
            # built fails in development as it would in production.
            message = build(settings, mail, body)
        except Unbuildable as error:
            await _fail(mail, str(error))
            unbuildable += 1
            continue
        except Exception as error:  # noqa: BLE001 - one bad row must not stop the outbox
            # Not the message's fault (the database hiccupped while filling it): try later.
            await _defer(mail, error)
            failed += 1
            continue
        if not settings.smtp_url:
            # Only who and what: the body may carry a supplier link, which is never logged.
            log.info("mail_logged", to=mail["to_address"], subject=mail["subject"],
                     outbox_id=mail["id"])
            await OutboundEmail.update({OutboundEmail.status: "logged",
                                        OutboundEmail.sent_at: now()}).where(
                OutboundEmail.id == mail["id"])
            sent += 1
            continue
        try:
            await asyncio.to_thread(_send_smtp, settings, message)
        except (OSError, smtplib.SMTPException) as error:
            await _defer(mail, error)
            failed += 1
            continue
        await OutboundEmail.update({OutboundEmail.status: "sent", OutboundEmail.sent_at: now(),
                                    OutboundEmail.attempts: mail["attempts"] + 1}).where(
            OutboundEmail.id == mail["id"])
        sent += 1
    return {"sent": sent, "deferred": failed, "unbuildable": unbuildable, "requeued": requeued}
