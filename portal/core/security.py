"""Authentication for the API and staff pages: bearer tokens and the admin's session cookie."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from piccolo.apps.user.tables import BaseUser
from piccolo_api.session_auth.tables import SessionsBase

from models.tables import ApiToken, StaffMember, VerifiedSession
from portal.core import dates
from portal.core.context import Actor
from portal.core.db import Prepared, Slot
from portal.core.permissions import needs_mfa

TOKEN_PREFIX = "spt"  # noqa: S105 - a label, not a secret
SESSION_COOKIE = "id"  # piccolo_api's session cookie, set by the admin login


def hash_secret(secret: str) -> str:
    """SHA-256 suffices: our tokens carry 256 random bits, so there is nothing to brute force."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret(prefix: str = TOKEN_PREFIX) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def constant_time_equal(a: str, b: str) -> bool:
    """Compare secrets as bytes: ``hmac.compare_digest`` raises on non-ASCII str, and a
    token, cookie or form field can hold anything a client sends."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"),
                               b.encode("utf-8", "surrogatepass"))


def now() -> dt.datetime:
    return dates.now()


# Prepared: every API request looks its token up, and building the query cost more CPU
# than running it (profiled on the supplier list at 10,000 suppliers).
_TOKEN = Prepared(ApiToken, lambda _: ApiToken.select(
    ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.expires_at, ApiToken.revoked_at,
    ApiToken.last_used_at).where(ApiToken.token_hash == Slot("token_hash")).first())


async def actor_from_bearer(token: str) -> Actor | None:
    if not token or len(token) > 200:
        return None
    row = await _TOKEN.first(token_hash=hash_secret(token))
    if row is None or row["revoked_at"] is not None:
        return None
    if row["expires_at"] is not None and row["expires_at"] <= now():
        return None
    last_used = row["last_used_at"]
    if last_used is None or now() - last_used > dt.timedelta(minutes=5):
        # Coarse on purpose: a write per request would serialise every API call on SQLite.
        await ApiToken.update({ApiToken.last_used_at: now()}).where(ApiToken.id == row["id"])
    return Actor(kind="token", name=f"token:{row['name']}", role=row["role"])


async def actor_from_session(session_token: str) -> Actor | None:
    """The staff member behind a back-office session; roles that need a second factor only
    count once the session has passed it."""
    if not session_token or len(session_token) > 200:
        return None
    user_id = await SessionsBase.get_user_id(session_token)
    if user_id is None:
        return None
    actor = await staff_actor(user_id)
    if actor is not None and needs_mfa(actor.role) and not await session_verified(session_token):
        return None
    return actor


async def session_verified(session_token: str) -> bool:
    return await VerifiedSession.exists().where(
        VerifiedSession.session_hash == hash_secret(session_token))


async def staff_actor(user_id: int) -> Actor | None:
    user = (
        await BaseUser.select(BaseUser.id, BaseUser.username, BaseUser.active)
        .where(BaseUser.id == user_id)
        .first()
    )
    if user is None or not user["active"]:
        return None
    role = await StaffMember.select(StaffMember.role).where(StaffMember.user == user_id).first()
    if role is None:
        return None
    return Actor(kind="staff", name=user["username"], role=role["role"], user_id=user_id)


async def authenticate(*, authorization: str | None, session_cookie: str | None) -> Actor | None:
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return await actor_from_bearer(credentials.strip())
    if session_cookie:
        return await actor_from_session(session_cookie)
    return None
