"""Email through an outbox: queued in the same transaction as the change, sent after commit.

Without PORTAL_SMTP_URL mail is written to the log and kept in the outbox (status
``logged``); with it, mail goes by SMTP with retries and back-off, and stays queued while
the server is down.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import smtplib
import ssl
from email.message import EmailMessage
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


async def dispatch(settings: Settings, *, limit: int = 100) -> dict[str, int]:
    """Send what is due. Each row is claimed with a conditional update, so two runs at once
    never send the same message twice."""
    sent = failed = 0
    due = await OutboundEmail.select(OutboundEmail.id).where(
        (OutboundEmail.status == "queued") & (OutboundEmail.next_attempt_at <= now())
    ).order_by(OutboundEmail.id).limit(limit)
    for row in due:
        claimed = await OutboundEmail.update({OutboundEmail.status: "sending"}).where(
            (OutboundEmail.id == row["id"]) & (OutboundEmail.status == "queued")
        ).returning(OutboundEmail.id)
        if not claimed:
            continue
        mail = await OutboundEmail.select().where(OutboundEmail.id == row["id"]).first()
        if not settings.smtp_url:
            log.info("mail_logged", to=mail["to_address"], subject=mail["subject"],
                     outbox_id=mail["id"])
            await OutboundEmail.update({OutboundEmail.status: "logged",
                                        OutboundEmail.sent_at: now()}).where(
                OutboundEmail.id == mail["id"])
            sent += 1
            continue
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = mail["to_address"]
        message["Subject"] = mail["subject"]
        message.set_content(mail["body"])
        try:
            await asyncio.to_thread(_send_smtp, settings, message)
        except (OSError, smtplib.SMTPException) as error:
            attempts = mail["attempts"] + 1
            status = "failed" if attempts >= MAX_ATTEMPTS else "queued"
            await OutboundEmail.update({
                OutboundEmail.status: status, OutboundEmail.attempts: attempts,
                OutboundEmail.last_error: f"{type(error).__name__}: {error}"[:500],
                OutboundEmail.next_attempt_at: now() + backoff(attempts),
            }).where(OutboundEmail.id == mail["id"])
            log.warning("mail_deferred", outbox_id=mail["id"], attempts=attempts,
                        error=type(error).__name__)
            failed += 1
            continue
        await OutboundEmail.update({OutboundEmail.status: "sent", OutboundEmail.sent_at: now(),
                                    OutboundEmail.attempts: mail["attempts"] + 1}).where(
            OutboundEmail.id == mail["id"])
        sent += 1
    return {"sent": sent, "deferred": failed}
