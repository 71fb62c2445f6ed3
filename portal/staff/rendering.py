"""Rendering a workspace page: the signed-in actor, the CSRF token and a permission check go
into every template."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from portal.core.context import current_actor
from portal.core.permissions import allowed
from portal.staff import auth


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Template:
    actor = current_actor()
    response = Template(template, status_code=status_code, context={
        "actor": actor, "csrf": auth.csrf_token(request),
        "can": lambda permission: allowed(actor.role, permission), **context})
    cookie = auth.csrf_cookie(request)
    if cookie:
        response.set_cookie(**cookie)
    return response
