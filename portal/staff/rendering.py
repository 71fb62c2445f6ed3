"""Rendering a workspace page: the signed-in actor, the CSRF token, a permission check, the
organisation's name and the staff menu go into every template."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.response import Template

from portal.core import pages
from portal.core.context import current_actor
from portal.core.permissions import READ, allowed
from portal.staff import auth


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    permission: str = READ
    # Other addresses that belong to this entry (its menu item is marked as the current page).
    also: tuple[str, ...] = ()


# The staff menu, in order. A new workspace area adds one line here (shown to the roles whose
# permission allows it); the header wraps it at phone width without JavaScript.
STAFF_NAV: list[NavItem] = [
    NavItem("/staff/", "Dashboard"),
    NavItem("/staff/queue", "My queue"),
    NavItem("/staff/suppliers", "Suppliers", also=("/staff/suppliers/", "/staff/contracts/",
                                                   "/staff/assessments/", "/staff/risks/",
                                                   "/staff/certifications/",
                                                   "/staff/subprocessors/")),
    NavItem("/staff/campaigns", "Campaigns", also=("/staff/campaigns/",)),
    NavItem("/staff/imports", "Imports"),
    NavItem("/staff/evidence-pack", "Evidence pack", also=("/staff/evidence-pack/",
                                                           "/staff/attestations")),
    NavItem("/staff/organisation", "Organisation"),
    NavItem("/staff/people", "Staff", permission="staff.manage"),
    NavItem("/staff/outbox", "Outbox", permission="outbox.read"),
    NavItem("/admin/", "Back office"),
    NavItem("/schema", "API"),
]


def staff_nav(request: Request, role: str) -> list[dict[str, Any]]:
    path = request.url.path
    return [{"href": item.href, "label": item.label,
             "current": path == item.href or path.startswith(item.also) if item.also
             else path == item.href}
            for item in STAFF_NAV if allowed(role, item.permission)]


async def load_organisation(request: Request) -> None:
    """Before every staff page (router hook): the organisation named in the header."""
    request.state.organisation = await pages.organisation_name()


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Template:
    actor = current_actor()
    signed_in = actor.kind == "staff"
    response = Template(template, status_code=status_code, context={
        "actor": actor, "csrf": auth.csrf_token(request),
        "organisation": getattr(request.state, "organisation", None) or pages.last_known_name(),
        "nav": staff_nav(request, actor.role) if signed_in else [],
        "can": lambda permission: allowed(actor.role, permission), **context})
    cookie = auth.csrf_cookie(request)
    if cookie:
        response.set_cookie(**cookie)
    return response
