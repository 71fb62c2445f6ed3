"""The HTTP edge shared by every domain: request context, the permission guard, errors.

Routes declare ``opt={"permission": ...}`` (see core/permissions.py) or ``opt={"public": True}``;
a route that declares neither is refused, so a forgotten declaration fails closed.
"""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from typing import Any

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.core import context, pages
from portal.core.errors import NotAuthenticated, PermissionDenied, PortalError, TooManyRequests
from portal.core.logging import get_logger, redact_path
from portal.core.permissions import allowed
from portal.core.ratelimit import FailureLimit
from portal.core.security import SESSION_COOKIE, authenticate

log = get_logger("portal.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ANONYMOUS = context.Actor(kind="anonymous", name="anonymous")


# Our own pages load only our own scripts and styles. The back office (a compiled single-page
# app) injects its icon styles at run time, so it may use inline styles but still no inline
# or foreign script; the API explorer brings inline code of its own and gets the other headers.
PAGE_CSP = (b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            b"font-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
            b"frame-ancestors 'none'; object-src 'none'")
ADMIN_CSP = (b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
             b"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
             b"form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'")
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
_COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
           (b"x-frame-options", b"DENY"), (b"cross-origin-opener-policy", b"same-origin"),
           (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    headers = list(_COMMON)
    path = path.lower()  # "/RESPOND/<token>" is still kept out of caches
    if path.startswith("/schema"):
        return headers
    if path.startswith("/admin"):
        return [*headers, (b"content-security-policy", ADMIN_CSP)]
    headers.append((b"content-security-policy", API_CSP if path.startswith("/api/") else PAGE_CSP))
    if path.startswith(("/respond", "/notify", "/staff", "/api/")):
        headers.append((b"cache-control", b"no-store"))
    return headers


class RequestEdge:
    """The outermost layer of the whole ASGI app (see ``wrap_app``): every HTTP answer, routed
    or not (unrouted 404/405, the mounted back office, static files), gets a request id
    (echoed as X-Request-ID), the security headers, and exactly one log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        import structlog

        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex[:16]
        id_token = context.set_request_id(request_id)
        actor_token = context.set_actor(ANONYMOUS)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status: dict[str, int] = {"code": 500}
        started = time.perf_counter()
        # Out here nothing has rewritten the scope yet: its path is the decoded address the
        # browser asked for (a mount sees a copy without its prefix). Headers and logs go by
        # the decoded path, so "/respon%64/<token>" is known as "/respond/<token>".
        path = scope.get("path", "")
        raw_path = scope.get("raw_path") or b""

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                extra = [(b"x-request-id", request_id.encode())]
                extra += [(k, v) for k, v in security_headers(path) if k not in present]
                message["headers"] = headers + extra
            await send(message)

        try:
            if b"%00" in scope.get("query_string", b"") or b"%00" in raw_path \
                    or "\x00" in path:
                # NUL can't be stored or matched by PostgreSQL: refuse it at the door.
                await _plain_error(send_with_id, 400, "The address contains a NUL character.")
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            actor = context.current_actor()
            log.info("request", method=scope.get("method"), path=redact_path(path),
                     status=status["code"],
                     duration_ms=round((time.perf_counter() - started) * 1000, 2),
                     actor=actor.name, actor_type=actor.kind)
            structlog.contextvars.unbind_contextvars("request_id")
            context.reset_actor(actor_token)
            context._request_id.reset(id_token)


def wrap_app(app: Any) -> Any:
    """Put ``RequestEdge`` around everything the Litestar app serves (its router, exception
    handling, mounts), keeping the Litestar object itself (tests and the CLI use it)."""
    app.asgi_handler = RequestEdge(app.asgi_handler)
    return app


_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Wrong API tokens from one address: 20 in 5 minutes, then 429. A valid token still works
# (tokens carry 256 random bits; the limit slows scanners and shows them in the logs).
token_misses = FailureLimit("api_token", limit=20, window_seconds=300)


def client_address(connection: ASGIConnection) -> str:
    """The caller's address (the proxy's X-Forwarded-For when uvicorn trusts the proxy)."""
    return connection.client.host if connection.client else "unknown"


async def permission_guard(connection: ASGIConnection, route_handler: BaseRouteHandler) -> None:
    opt = route_handler.opt
    if opt.get("public") or opt.get("supplier_link"):
        return
    authorization = connection.headers.get("authorization")
    actor = await authenticate(authorization=authorization,
                               session_cookie=connection.cookies.get(SESSION_COOKIE))
    if actor is None:
        if authorization and await token_misses.hit(client_address(connection)):
            raise TooManyRequests("Too many wrong API tokens from your address; "
                                  "wait a few minutes.")
        raise NotAuthenticated()
    if not authorization and connection.scope.get("method") not in _SAFE_METHODS \
            and connection.scope["path"].startswith("/api/"):
        # A browser sends the session cookie whatever site asks it to; the API's forms have
        # no CSRF token, so the cookie only reads (downloads) and writes need an API token.
        raise PermissionDenied("Changes through the API need an API token (Authorization: "
                               "Bearer ...); a signed-in browser session can only read here.")
    context.set_actor(actor)
    connection.state.actor = actor
    permission = opt.get("permission")
    if permission is None:
        log.error("route_without_permission", route=str(route_handler))
        raise PermissionDenied("This route has no permission rule; refusing by default.")
    if not allowed(actor.role, permission):
        raise PermissionDenied(f"Your role ({actor.role}) may not do this ({permission}).")


# Errors --------------------------------------------------------------------------------


def _json_error(status: int, detail: str, **extra: Any) -> Response[dict[str, Any]]:
    body = {"status_code": status, "detail": detail, **extra}
    headers = {"Retry-After": "5"} if status == 503 else None
    return Response(content=body, status_code=status, headers=headers)


def portal_error_handler(_: Request, exc: PortalError) -> Response[dict[str, Any]]:
    return _json_error(exc.status_code, exc.message, **exc.extra)


def validation_error_handler(_: Request, exc: ValidationException) -> Response[dict[str, Any]]:
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            errors.append({"field": item.get("key") or item.get("source") or "body",
                           "message": item.get("message", "is not valid"),
                           "source": item.get("source", "body")})
    fields = ", ".join(sorted({e["field"] for e in errors})) or "request"
    return _json_error(400, f"Invalid input: {fields}.", errors=errors)


def http_error_handler(_: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
    if exc.status_code == 413:  # Litestar's own words are "Request Entity Too Large"
        from portal.settings import get_settings

        detail = f"The upload is too large: a file can be at most {get_settings().max_upload_mb} MB."
    response = _json_error(exc.status_code, detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def _is_database_unavailable(exc: Exception) -> bool:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover
        asyncpg = None
    if isinstance(exc, ConnectionError | TimeoutError | OSError):
        return True
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return True
    if asyncpg is not None and isinstance(
        exc, asyncpg.PostgresConnectionError | asyncpg.InterfaceError
        | asyncpg.exceptions.CannotConnectNowError | asyncpg.exceptions.AdminShutdownError
        | asyncpg.exceptions.TooManyConnectionsError
    ):
        return True
    return False


async def _plain_error(send: Send, status: int, detail: str) -> None:
    import json

    body = json.dumps({"status_code": status, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def unexpected_error_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, RecursionError):
        return _json_error(400, "The JSON is nested too deeply.")
    if isinstance(exc, UnicodeDecodeError):  # a body that isn't UTF-8 reached the JSON decoder
        return _json_error(400, "The request body is not valid UTF-8 text.")
    if _is_database_unavailable(exc):
        log.warning("database_unavailable", error=type(exc).__name__)
        return _json_error(503, "The database is unavailable; try again in a few seconds.")
    log.error("unhandled_error", path=redact_path(request.url.path), exc_info=exc)
    return _json_error(
        HTTP_500_INTERNAL_SERVER_ERROR,
        f"Something went wrong on our side. Quote reference {context.current_request_id()}.",
    )


def for_browsers(json_handler: Any) -> Any:
    """The same answer, as a page in the NHS.UK style when a browser asks for a page outside
    the API (Accept: text/html); the API and every other caller keep the JSON problem details."""

    def handler(request: Request, exc: Exception) -> Response[Any]:
        answer = json_handler(request, exc)
        if not pages.wants_html(request):
            return answer
        status = answer.status_code
        detail = answer.content.get("detail") if isinstance(answer.content, dict) else None
        # Our own messages are in the user's words; the framework's ("Method Not Allowed") not.
        own = isinstance(exc, PortalError) or status == 413 or status >= 500
        page = pages.error_page(request, status, detail if own else None)
        for name, value in answer.headers.items():
            if name.lower() == "retry-after":
                page.headers[name] = value
        return page

    return handler


EXCEPTION_HANDLERS: dict[Any, Any] = {
    PortalError: for_browsers(portal_error_handler),
    ValidationException: for_browsers(validation_error_handler),
    HTTPException: for_browsers(http_error_handler),
    Exception: for_browsers(unexpected_error_handler),
}
