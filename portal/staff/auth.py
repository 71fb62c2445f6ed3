"""Staff sign-in for the workspace pages: the back office's users and session table.

A session made here works in /admin/ too, and the reverse. Forms carry a double-submit
CSRF token under names of our own (piccolo-admin uses ``csrftoken``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from piccolo.apps.user.tables import BaseUser
from piccolo_api.session_auth.tables import SessionsBase

from models.tables import StaffMember, VerifiedSession
from portal.core import audit, context, ratelimit, totp
from portal.core.db import write_transaction
from portal.core.errors import InvalidInput, NotAuthenticated, PermissionDenied, TooManyRequests
from portal.core.permissions import allowed
from portal.core.ratelimit import FailureLimit
from portal.core.security import (
    SESSION_COOKIE,
    actor_from_session,
    constant_time_equal,
    hash_secret,
)
from portal.core.text import text_problem
from portal.settings import get_settings

CSRF_COOKIE = "portal_csrf"
CSRF_FIELD = "csrf"
# Failed sign-ins: 10 in 10 minutes for one username (password guessing), 50 for one address
# (spraying many usernames; a shared office address still lets colleagues in); the same for
# wrong authenticator codes.
sign_in_failures = FailureLimit("sign_in", limit=10, window_seconds=600)
sign_in_failures_by_address = FailureLimit("sign_in_addr", limit=50, window_seconds=600)
code_failures = FailureLimit("second_factor", limit=10, window_seconds=600)
code_failures_by_address = FailureLimit("second_factor_addr", limit=50, window_seconds=600)


async def staff_guard(connection: ASGIConnection, route_handler: BaseRouteHandler) -> None:
    if route_handler.opt.get("public"):
        return
    actor = await actor_from_session(connection.cookies.get(SESSION_COOKIE, ""))
    if actor is None:
        raise NotAuthenticated("Sign in to use the staff workspace.")
    context.set_actor(actor)
    connection.state.actor = actor
    permission = route_handler.opt.get("permission")
    if permission is None:
        raise PermissionDenied("This page has no permission rule; refusing by default.")
    if not allowed(actor.role, permission):
        raise PermissionDenied(f"Your role ({actor.role}) may not do this.")


def csrf_token(request: Request) -> str:
    """The token for this browser's forms (set as a cookie by ``with_csrf_cookie``)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and len(existing) == 43:
        return existing
    token = request.scope.setdefault("portal_csrf_new", secrets.token_urlsafe(32))
    return token


def csrf_cookie(request: Request) -> dict[str, Any] | None:
    new = request.scope.get("portal_csrf_new")
    if not new:
        return None
    return {"key": CSRF_COOKIE, "value": new, "httponly": True, "samesite": "strict",
            "secure": request.url.scheme == "https", "path": "/staff"}


async def check_csrf(request: Request) -> dict[str, Any]:
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not (isinstance(sent, str) and cookie and constant_time_equal(sent, cookie)):
        raise InvalidInput("This form has expired. Reload the page and try again.")
    values = dict(form)
    for name, value in values.items():  # the same check as every schema (core/text.py)
        problem = text_problem(value) if isinstance(value, str) else None
        if problem:
            raise InvalidInput(f"The form can't be saved: {name}: {problem}.")
    return values


@dataclass(frozen=True)
class SignIn:
    """A right password: who, and whether this sign-in must pass the second factor even if
    the role would not (the username is locked and this address has a clean record)."""

    user_id: int  # 0 on the locked way back when the password (or the account) is not right
    second_factor_required: bool = False
    # The locked way back: only an enrolled authenticator's code passes, its tries counted
    # under this key (the username's hash) whichever account, if any, is behind it.
    code_only: str = ""


LOCKED = "Too many failed sign-ins; wait ten minutes and try again."


async def sign_in(*, username: str, password: str, client: str) -> SignIn:
    """Check a password (off the event loop), rate-limited, for every sign-in form we own.

    The attempt is counted before the password is hashed (insert, then count, then decide),
    per username and per address, so requests fired together are limited like ones in a row.
    A locked username is not locked out for good: from an address with no other recent
    attempt, the password step always leads on to the authenticator step, right password or
    not, so the answer tells a guesser nothing; only the right password of an account with an
    enrolled authenticator can pass that step (never enrolment). Its attempts stay counted.
    Otherwise failures stay counted; refused and successful attempts are taken back out.
    """
    if not username or not password or len(username) > 100 or len(password) > 128:
        raise InvalidInput("Enter your username and password.")
    attempts = await ratelimit.attempts((sign_in_failures_by_address, client),
                                        (sign_in_failures, username))
    by_address, by_username = attempts
    needs_code = False
    if by_address.over:
        await _forget(attempts)
        raise TooManyRequests(LOCKED)
    if by_username.over:
        if by_address.count > 1:  # this address has tried (or is trying) something else
            await _forget(attempts)
            raise TooManyRequests(LOCKED)
        needs_code = True
    user_id = await check_password(username, password)
    if needs_code:
        key = "locked:" + hashlib.sha256(username.encode()).hexdigest()[:32]
        usable = user_id is not None and await _enrolled_staff(user_id)
        return SignIn(user_id=user_id if usable else 0, second_factor_required=True,
                      code_only=key)
    if user_id is None:
        raise InvalidInput("The username or password is not right.")
    await _forget(attempts)
    await actor_from_session_user(user_id)  # refuses accounts without a staff role
    return SignIn(user_id=user_id, second_factor_required=needs_code)


async def _enrolled_staff(user_id: int) -> bool:
    """An active staff account with an authenticator: the only kind the locked way back lets
    through."""
    from portal.core.security import staff_actor

    member = await StaffMember.select(StaffMember.totp_secret).where(
        StaffMember.user == user_id).first()
    return bool(member and member["totp_secret"]) and await staff_actor(user_id) is not None


async def _forget(attempts) -> None:
    await ratelimit.forget_all(attempts)


async def open_session(user_id: int, *, second_factor: bool) -> str:
    actor = await actor_from_session_user(user_id)
    now = dt.datetime.now()  # piccolo_api's session table keeps naive local times
    session = await SessionsBase.create_session(
        user_id=user_id, expiry_date=now + dt.timedelta(hours=get_settings().session_hours),
        # piccolo's back-office middleware never stretches it (admin/config.py)
        max_expiry_date=now + dt.timedelta(hours=get_settings().session_hours))
    context.set_actor(actor)
    async with write_transaction():
        if second_factor:
            await VerifiedSession.insert(VerifiedSession(session_hash=hash_secret(session.token),
                                                         user=user_id))
        await audit.record("staff.signed_in", target_type="staff", target_id=user_id,
                           after={"second_factor": second_factor})
    return session.token


# Second factor ---------------------------------------------------------------------------

PENDING_COOKIE = "portal_mfa"
PENDING_SECONDS = 300


def _fernet():
    import base64

    from cryptography.fernet import Fernet

    key = hashlib.sha256(("totp:" + get_settings().resolved_secret_key()).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


@dataclass(frozen=True)
class Pending:
    """A password step passed a moment ago (signed cookie): whose, and if it was the locked
    way back (`code_only`, see SignIn)."""

    user_id: int
    code_only: str = ""


def _pending_mac(payload: str) -> str:
    return hmac.new(get_settings().resolved_secret_key().encode(), payload.encode(),
                    hashlib.sha256).hexdigest()


def pending_cookie_value(user_id: int, code_only: str = "") -> str:
    expires = int(time.time()) + PENDING_SECONDS
    payload = f"{user_id}.{expires}.{code_only}"
    return f"{payload}.{_pending_mac(payload)}"


def pending_user(value: str | None) -> Pending | None:
    """Who passed the password step a moment ago, from the signed pending cookie."""
    try:
        user_id, expires, code_only, mac = (value or "").split(".")
    except ValueError:
        return None
    payload = f"{user_id}.{expires}.{code_only}"
    if constant_time_equal(mac, _pending_mac(payload)) and _ascii_number(expires) and \
            _ascii_number(user_id) and int(expires) >= time.time() and \
            (user_id != "0" or code_only):
        return Pending(int(user_id), code_only)
    return None


def _ascii_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


async def second_factor_state(user_id: int, *, code_only: str = "") -> dict:
    """What the second-factor page shows: a code form, or enrolment with a new secret. The
    locked way back shows the same code form whoever (if anyone) is behind it."""
    if code_only:
        return {"enrolled": True, "username": ""}
    member = await StaffMember.select().where(StaffMember.user == user_id).first()
    user = await BaseUser.select(BaseUser.username).where(BaseUser.id == user_id).first()
    if member is None or user is None:
        raise InvalidInput("This account has no staff role; ask an administrator.")
    if member["totp_secret"]:
        return {"enrolled": True, "username": user["username"]}
    secret = unseal(member["totp_pending"]) if member["totp_pending"] else None
    if secret is None:
        secret = totp.new_secret()
        await StaffMember.update({StaffMember.totp_pending: seal(secret)}).where(
            StaffMember.user == user_id)
    return {"enrolled": False, "username": user["username"], "secret": secret,
            "uri": totp.provisioning_uri(secret, account=user["username"],
                                         issuer="Supplier assurance")}


WRONG_CODE = "That code is not right. Enter the 6 digits your authenticator app shows now."


async def verify_second_factor(user_id: int, code: str, *, client: str,
                               code_only: str = "") -> None:
    # Counted before the code is checked, like passwords (see sign_in).
    attempts = await ratelimit.attempts((code_failures_by_address, client),
                                        (code_failures, code_only or str(user_id)))
    if any(attempt.over for attempt in attempts):
        await _forget(attempts)
        raise TooManyRequests("Too many wrong codes; wait ten minutes and try again.")
    if user_id == 0:  # the locked way back after a wrong password: no code can pass
        raise InvalidInput(WRONG_CODE)
    async with write_transaction():
        member = await StaffMember.select().where(StaffMember.user == user_id).first()
        if member is None:
            raise InvalidInput("This account has no staff role; ask an administrator.")
        enrolling = not member["totp_secret"]
        if enrolling and code_only:  # the way back never enrols an authenticator
            raise InvalidInput(WRONG_CODE)
        sealed = member["totp_pending"] if enrolling else member["totp_secret"]
        if not sealed:
            raise InvalidInput("Start again: sign in with your password.")
        step = totp.verify(unseal(sealed), code, last_step=member["totp_last_step"])
        if step is not None:
            values = {StaffMember.totp_last_step: step}
            if enrolling:
                values.update({StaffMember.totp_secret: sealed, StaffMember.totp_pending: ""})
            # A conditional update, not read-then-write: of several requests carrying the
            # same code at once, only the first moves the last-used step; the others match
            # no row (PostgreSQL re-checks the condition once the first commits).
            fresh = StaffMember.totp_last_step.is_null() | (StaffMember.totp_last_step < step)
            same = (StaffMember.totp_pending == sealed) if enrolling else \
                (StaffMember.totp_secret == sealed)
            used = await StaffMember.update(values).where(
                (StaffMember.user == user_id) & fresh & same).returning(StaffMember.id)
            if not used:
                step = None
            elif enrolling:
                context.set_actor(await actor_from_session_user(user_id))
                await audit.record("staff.mfa_enrolled", target_type="staff", target_id=user_id)
    if step is None:  # the attempts stay counted as failures
        raise InvalidInput(WRONG_CODE)
    await _forget(attempts)


async def check_password(username: str, password: str) -> int | None:
    """Piccolo's password check with the slow hashing moved off the event loop."""
    row = await BaseUser.select(BaseUser.id, BaseUser.password, BaseUser.active).where(
        BaseUser.username == username).first()
    if row is None or not row["active"]:
        await asyncio.to_thread(BaseUser.hash_password, password)  # same time either way
        return None
    try:
        _, iterations, salt, _ = BaseUser.split_stored_password(row["password"])
    except ValueError:
        return None
    computed = await asyncio.to_thread(BaseUser.hash_password, password, salt, int(iterations))
    if not constant_time_equal(computed, row["password"]):
        return None
    await BaseUser.update({BaseUser.last_login: dt.datetime.now()}).where(  # naive, as Piccolo keeps it
        BaseUser.id == row["id"])
    return row["id"]


async def actor_from_session_user(user_id: int) -> context.Actor:
    from portal.core.security import staff_actor

    actor = await staff_actor(user_id)
    if actor is None:
        raise InvalidInput("This account has no staff role; ask an administrator.")
    return actor


async def sign_out(token: str) -> None:
    if token:
        await SessionsBase.remove_session(token)
