"""Staff sign-in for the workspace pages: the back office's users and session table.

A session made here works in /admin/ too, and the reverse. Forms carry a double-submit
CSRF token under names of our own (piccolo-admin uses ``csrftoken``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from piccolo.apps.user.tables import BaseUser
from piccolo_api.session_auth.tables import SessionsBase

from portal.core import audit, context
from portal.core.errors import InvalidInput, NotAuthenticated, PermissionDenied, TooManyRequests
from portal.core.permissions import allowed
from portal.core.ratelimit import SlidingWindow
from portal.core.security import SESSION_COOKIE, actor_from_session

CSRF_COOKIE = "portal_csrf"
CSRF_FIELD = "csrf"
SESSION_HOURS = 8
login_failures = SlidingWindow(limit=10, window_seconds=600)


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
    if not (isinstance(sent, str) and cookie and hmac.compare_digest(sent, cookie)):
        raise InvalidInput("This form has expired. Reload the page and try again.")
    values = dict(form)
    if any(isinstance(v, str) and "\x00" in v for v in values.values()):
        raise InvalidInput("The form contains a NUL character, which can't be stored.")
    return values


async def sign_in(*, username: str, password: str, client: str) -> str:
    """Check a password (off the event loop) and open a session; returns its token."""
    if login_failures.blocked(client) or login_failures.blocked(f"user:{username}"):
        raise TooManyRequests("Too many failed sign-ins; wait ten minutes and try again.")
    if not username or not password or len(username) > 100 or len(password) > 128:
        raise InvalidInput("Enter your username and password.")
    user_id = await check_password(username, password)
    if user_id is None:
        login_failures.hit(client)
        login_failures.hit(f"user:{username}")
        raise InvalidInput("The username or password is not right.")
    actor = await actor_from_session_user(user_id)
    now = dt.datetime.now()  # piccolo_api's session table keeps naive local times
    session = await SessionsBase.create_session(
        user_id=user_id, expiry_date=now + dt.timedelta(hours=SESSION_HOURS),
        max_expiry_date=now + dt.timedelta(days=1))
    context.set_actor(actor)
    await audit.record("staff.signed_in", target_type="staff", target_id=user_id)
    return session.token


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
    if not hmac.compare_digest(computed, row["password"]):
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
