"""The one way into the back office: identity, second factor, reads by role, writes by service.

Every request to /admin/ passes here before piccolo-admin sees it:

- the session is read with Starlette's own cookie parser (the one piccolo_api authenticates
  with), and a Cookie header that could be read two ways (two headers, two `id` cookies, an
  `id` in another case, a quoted value) is refused with 400, so the identity checked here is
  the identity piccolo then authenticates;
- a session gets in only if its user is active and has a staff role, and, for a role that
  needs it, has passed the second factor at /staff/login; piccolo's own login form signs no
  one in (it points to /staff/login: one sign-in, one rate limit);
- reads follow admin/policy.py per role, table and column, on every API answer;
- writes never reach piccolo_api: they go to the same service functions as the API
  (admin/writes.py), and tables without one are read-only here;
- API answers carry ``Cache-Control: no-store``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import cookie_parser

from admin import policy, writes
from admin.responses import redirect, send_text
from portal.core import context
from portal.core.permissions import needs_mfa
from portal.core.security import SESSION_COOKIE, session_verified, staff_actor

LOGIN = b"/staff/login?next=/admin/"
_MAX_BODY = 1024 * 1024
_TABLE_PATH = re.compile(r"^/api/tables/(?P<table>[a-z_][a-z0-9_]*)/(?P<rest>.*)$")
# The rest of piccolo-admin's API a signed-in user's screens use (no /docs, no openapi.json:
# they would describe every table to every role).
_API_READS = {"/api/user/", "/api/meta/", "/api/links/", "/api/forms/", "/api/forms/grouped/",
              "/api/tables/", "/api/tables/grouped/"}
_TABLE_LISTS = ("/api/tables/", "/api/tables/grouped/")
_PUBLIC_READS = ("/assets/", "/public/translations/", "/public/meta/")


class Ambiguous(ValueError):
    """A Cookie header that two parsers could read differently."""


def session_token(headers: list[tuple[bytes, bytes]]) -> str:
    """The session token exactly as piccolo_api reads it (Starlette's cookie parser), or
    Ambiguous when the header could name another session to another parser."""
    raw = [value for name, value in headers if name.lower() == b"cookie"]
    if len(raw) > 1:
        raise Ambiguous("send one Cookie header")
    if not raw:
        return ""
    header = raw[0].decode("latin-1")
    seen = 0
    for chunk in header.split(";"):
        key, _, value = chunk.partition("=") if "=" in chunk else ("", "", chunk)
        key, value = key.strip(), value.strip()
        if key.lower() == SESSION_COOKIE:
            if key != SESSION_COOKIE:
                raise Ambiguous(f"the session cookie is called {SESSION_COOKIE!r}")
            seen += 1
        if value.startswith('"'):
            raise Ambiguous("cookie values are not quoted")
    if seen > 1:
        raise Ambiguous("send one session cookie")
    return cookie_parser(header).get(SESSION_COOKIE, "")


@dataclass(frozen=True)
class Who:
    actor: context.Actor | None
    problem: str | None  # why this session may not use the back office
    status: int


async def identify(token: str) -> Who:
    from piccolo_api.session_auth.tables import SessionsBase

    if not token or len(token) > 200:
        return Who(None, "Sign in at /staff/login to use the back office.", 401)
    user_id = await SessionsBase.get_user_id(token)
    if user_id is None:
        return Who(None, "Your session has ended: sign in again at /staff/login.", 401)
    actor = await staff_actor(user_id)
    if actor is None:
        return Who(None, "This account has no active staff role; ask an administrator.", 403)
    if needs_mfa(actor.role) and not await session_verified(token):
        return Who(None, "Your role needs a second factor: sign in at /staff/login with your "
                         "authenticator code.", 403)
    return Who(actor, None, 200)


def _relative(path: str) -> str:
    # The mount hands the admin its path without the /admin prefix.
    return path[len("/admin"):] if path.startswith("/admin/") else path


def _no_store(send):
    async def wrapped(message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", [])
                       if k.lower() != b"cache-control"]
            message = {**message, "headers": [*headers, (b"cache-control", b"no-store")]}
        await send(message)

    return wrapped


def _query_problem(table: str, scope) -> str | None:
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    for name, value in query:
        fields = [name]
        if name in ("__order", "__visible_fields"):
            fields = [v for v in value.split(",") if v.strip()]
        if any(policy.is_hidden(table, f) for f in fields):
            return f"{name} names a column the back office doesn't show"
    return None


def filter_answer(table: str | None, rest: str, role: str | None, value: Any) -> Any:
    """Take hidden tables and columns out of a back-office API answer."""
    if table is None:  # the table lists
        readable = policy.readable_tables(role)
        if isinstance(value, list):
            return [name for name in value if name in readable]
        if isinstance(value, dict):
            grouped = {group: [n for n in names if n in readable]
                       for group, names in (value.get("grouped") or {}).items()}
            return {**value, "grouped": {g: n for g, n in grouped.items() if n},
                    "ungrouped": [n for n in value.get("ungrouped") or [] if n in readable]}
        return value
    hidden = policy.hidden_columns(table)

    def clean(row: Any) -> Any:
        if not isinstance(row, dict):
            return row
        return {k: v for k, v in row.items()
                if k not in hidden and k.removesuffix("_readable") not in hidden}

    if rest == "schema/" and isinstance(value, dict):
        properties = {k: v for k, v in (value.get("properties") or {}).items() if k not in hidden}
        extra = dict(value.get("extra") or {})
        primary_key = extra.get("primary_key_name", "id")
        for key in ("visible_column_names", "visible_filter_names", "visible_fields_options"):
            if isinstance(extra.get(key), list):
                extra[key] = [n for n in extra[key] if n not in hidden]
        # piccolo-admin draws a list's cells by their schema property: the primary key has
        # none, and it is only drawn specially when it is the link column. Elsewhere it
        # threw "reading 'type' at isBoolean" and the whole list rendered blank.
        link = extra.get("link_column_name", primary_key)
        if isinstance(extra.get("visible_column_names"), list):
            extra["visible_column_names"] = [
                n for n in extra["visible_column_names"]
                if n in properties or (n == primary_key and link == primary_key)]
        return {**value, "properties": properties, "extra": extra,
                "required": [n for n in value.get("required") or [] if n not in hidden]}
    if isinstance(value, dict) and isinstance(value.get("rows"), list):
        return {**value, "rows": [clean(r) for r in value["rows"]]}
    return clean(value)


async def _filtered(app, scope, receive, send, table: str | None, rest: str,
                    role: str | None) -> None:
    messages: list[dict] = []

    async def hold(message) -> None:
        messages.append(message)

    await app(scope, receive, hold)
    start = next((m for m in messages if m["type"] == "http.response.start"), None)
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    kind = dict(start.get("headers", [])).get(b"content-type", b"") if start else b""
    if start is None or start["status"] != 200 or not kind.startswith(b"application/json"):
        for message in messages:
            await send(message)
        return
    try:
        value = json.loads(body)
    except ValueError:
        await send_text(send, 500, "The back office gave an answer it can't check.")
        return
    new = json.dumps(filter_answer(table, rest, role, value)).encode()
    headers = [(k, v) for k, v in start.get("headers", [])
               if k.lower() not in (b"content-length",)]
    await send({**start, "headers": [*headers, (b"content-length", str(len(new)).encode())]})
    await send({"type": "http.response.body", "body": new})


async def whole_body(receive) -> bytes | None:
    """The request body, read up front so it can be checked; None past the size limit."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def gate(inner):
    """Wrap the back office (``inner``: piccolo-admin behind our error handling) so that
    nothing reaches it that this module hasn't decided on."""
    async def guarded(scope, receive, send) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        path = _relative(scope.get("path", ""))
        method = scope.get("method", "GET")
        reading = method in ("GET", "HEAD")
        if reading and path.startswith(_PUBLIC_READS):
            await inner(scope, receive, send)
            return
        if path.startswith("/public/login"):
            # piccolo's own login form checks no second factor and counts no failures.
            if reading:
                await redirect(send, LOGIN)
            else:
                await send_text(send, 403, "Sign in at /staff/login: the back office uses the "
                                           "workspace's sign-in.", json_body=False)
            return
        try:
            token = session_token(scope.get("headers") or [])
        except Ambiguous as problem:
            await send_text(send, 400, f"Invalid request: ambiguous Cookie header ({problem}).")
            return
        if path.startswith("/public/logout") and method == "POST":
            await inner(scope, receive, _no_store(send))
            return
        who = await identify(token)
        if who.actor is None:
            if reading and not path.startswith(("/api", "/public")):
                await redirect(send, LOGIN)  # the page itself: go and sign in properly
            else:
                await send_text(send, who.status, who.problem or "Sign in at /staff/login.")
            return
        context.set_actor(who.actor)
        role = who.actor.role
        match = None if path in _TABLE_LISTS else _TABLE_PATH.match(path)
        if match and not policy.may_read(role, match["table"],
                                         match["rest"] if reading else ""):
            await send_text(send, 403, f"Your role ({role}) doesn't read "
                                       f"{match['table'].replace('_', ' ')} in the back office.",
                            json_body=not reading)
            return
        if not reading:
            body = await whole_body(receive)
            if body is None:
                await send_text(send, 413, "The request is too large for the back office "
                                           "(1 MB at most).")
                return
            if match is None:
                await send_text(send, 405, "The back office changes records only through "
                                           "their tables' forms.", json_body=False)
                return
            await writes.dispatch(who.actor, match["table"], match["rest"], method, body, send)
            return
        if match:
            if problem := _query_problem(match["table"], scope):
                await send_text(send, 400, f"Invalid request: {problem}.")
                return
            await _filtered(inner, scope, receive, _no_store(send), match["table"],
                            match["rest"], role)
            return
        if path in _TABLE_LISTS:
            await _filtered(inner, scope, receive, _no_store(send), None, "", role)
            return
        if path.startswith("/api"):
            if path not in _API_READS:
                await send_text(send, 404, "Not found.")
                return
            await inner(scope, receive, _no_store(send))
            return
        if path in ("", "/"):
            await inner(scope, receive, _with_icon(_no_store(send)))
            return
        await inner(scope, receive, _no_store(send))

    return guarded


def _with_icon(send):
    """piccolo-admin's page names no icon, so the browser asks for /favicon.ico, gets 404 and
    says so in the console on every visit: name an empty one."""
    held: list[dict] = []

    async def wrapped(message) -> None:
        if message["type"] == "http.response.start":
            held.append(message)
            return
        if not held:
            await send(message)
            return
        held.append(message)
        if message.get("more_body"):
            return
        start, *bodies = held
        held.clear()
        body = b"".join(m.get("body", b"") for m in bodies)
        kind = dict(start.get("headers", [])).get(b"content-type", b"")
        if kind.startswith(b"text/html") and b"</head>" in body:
            body = body.replace(b"</head>", b'<link rel="icon" href="data:,"></head>', 1)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return wrapped
