"""Supplier links: derived from a server-side key, so the link itself is never stored.

token = base64url(HMAC-SHA256(link key, "supplier-link" | assessment id | link nonce)), where the
link key is derived from PORTAL_SECRET_KEY (never in the database or a backup) and the nonce is
a random value kept on the assessment. The database keeps the nonce and the token's SHA-256;
neither opens the questionnaire without the key. Reissuing draws a new nonce, so the old link
stops matching. Mail in the outbox carries a placeholder naming the assessment instead of the
link; the dispatcher fills the link in when it sends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from models.tables import Assessment
from portal.core.security import hash_secret
from portal.settings import get_settings
from questionnaires import states

_PLACEHOLDER = "[supplier link for assessment {id}]"
_PATTERN = re.compile(r"\[supplier link for assessment (\d{1,18})\]")
NO_LINK = "(This link is no longer valid. Ask us for a new one: reply to this email.)"
# An assessment sent before links were derived: its link can't be rebuilt, but it still works.
EARLIER_LINK = ("(Use the link in our earlier email. If you have lost it, reply to this email "
                "and we will send a new one.)")


def _key() -> bytes:
    secret = get_settings().resolved_secret_key().encode("utf-8")
    return hmac.new(secret, b"portal supplier-link key v1", hashlib.sha256).digest()


# The sender's page after sending shows the link once: it travels to that page in a cookie
# sealed with this key (Fernet, 5 minutes), bound to the assessment and the staff member.
DISPLAY_SECONDS = 300


def _display_key() -> bytes:
    secret = get_settings().resolved_secret_key().encode("utf-8")
    return base64.urlsafe_b64encode(
        hmac.new(secret, b"portal supplier-link display v1", hashlib.sha256).digest())


def seal_for_display(*, assessment_id: int, token: str, viewer: str, reissued: bool) -> str:
    payload = json.dumps({"a": int(assessment_id), "t": token, "v": viewer, "r": reissued})
    return Fernet(_display_key()).encrypt(payload.encode()).decode("ascii")


def open_for_display(sealed: str | None, *, assessment_id: int,
                     viewer: str) -> tuple[str, bool] | None:
    """The token and whether it was a reissue, if `sealed` is this viewer's, for this
    assessment, and not older than DISPLAY_SECONDS; otherwise None."""
    if not sealed or len(sealed) > 2000:
        return None
    try:
        payload = json.loads(Fernet(_display_key()).decrypt(sealed.encode("ascii"),
                                                             ttl=DISPLAY_SECONDS))
    except (InvalidToken, ValueError, UnicodeError):
        return None
    if payload.get("a") != int(assessment_id) or payload.get("v") != viewer:
        return None
    return str(payload["t"]), bool(payload.get("r"))


def new_nonce() -> str:
    return secrets.token_hex(16)


def derive(purpose: bytes, record_id: int, nonce: str) -> str:
    """A link secret for one record (an assessment, a supplier's notice link): HMAC under the
    key derived from PORTAL_SECRET_KEY, so only its hash and the nonce need storing."""
    message = purpose + b"\x00" + str(int(record_id)).encode() + b"\x00" + nonce.encode()
    digest = hmac.new(_key(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token_for(assessment_id: int, nonce: str) -> str:
    return derive(b"supplier-link", assessment_id, nonce)


def link_hash(assessment_id: int, nonce: str) -> str:
    return hash_secret(token_for(assessment_id, nonce))


def url(token: str) -> str:
    return f"{get_settings().effective_base_url}/respond/{token}"


def placeholder(assessment_id: int) -> str:
    """What the stored mail body carries where the link goes (names the assessment only)."""
    return _PLACEHOLDER.format(id=int(assessment_id))


def has_placeholder(body: str) -> bool:
    return _PATTERN.search(body) is not None


async def fill(mail: dict[str, Any]) -> str:
    """The body to send: each placeholder becomes the assessment's current link.

    Only the mail's own assessment is filled, and only when the mail goes to that
    assessment's contact and the link is live: a row written into the outbox by other means
    can't be used to mail someone else a supplier's link. Anything else reads "no longer valid".
    """
    body = mail["body"]
    if not has_placeholder(body):
        return body
    live: str | None = None
    fallback = NO_LINK
    if mail.get("related_type") == "assessment" and str(mail.get("related_id", "")).isdigit():
        row = await Assessment.select(
            Assessment.id, Assessment.status, Assessment.link_nonce, Assessment.link_hash,
            Assessment.contact.email.as_alias("contact_email"),
        ).where(Assessment.id == int(mail["related_id"])).first()
        if row and row["link_nonce"] and row["link_hash"] and row["status"] in states.LIVE_LINK \
                and row["contact_email"].strip().lower() == mail["to_address"].strip().lower():
            token = token_for(row["id"], row["link_nonce"])
            if hmac.compare_digest(hash_secret(token), row["link_hash"]):
                live = url(token)
        elif row and not row["link_nonce"] and row["link_hash"] and row["status"] in states.LIVE_LINK:
            fallback = EARLIER_LINK

    def replace(match: re.Match[str]) -> str:
        if live is not None and match.group(1) == str(mail["related_id"]):
            return live
        return fallback

    return _PATTERN.sub(replace, body)

