"""The HTML side of the HTTP edge: who runs the portal (for headers and footers) and error pages
in the NHS.UK style for browsers, while the API under /api/ keeps its JSON problem details.

Exception handlers are called synchronously, so an error page can't ask the database for the
organisation's name: it uses the name last read (``organisation``), which every page that reads
it keeps current.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from models.tables import Organisation

_last_known: dict[str, Any] = {}


async def organisation() -> dict[str, Any] | None:
    """The Organisation row (one), or None when there is none or the database is away: a page
    explaining something must not fail on the database too."""
    try:
        row = await Organisation.select().first()
    except Exception:
        return None
    _last_known.clear()
    if row:
        _last_known.update(row)
    return row


async def organisation_name() -> str | None:
    row = await organisation()
    return row["name"] if row else None


def last_known_name() -> str | None:
    return _last_known.get("name") or None


def wants_html(request: Request) -> bool:
    """A browser asking for a page: not the API, and HTML accepted before JSON."""
    path = request.scope.get("path", "")
    if path.startswith(("/api/", "/schema", "/health")):
        return False
    accept = request.headers.get("accept", "").lower()
    html, json = accept.find("text/html"), accept.find("json")
    return html >= 0 and (json < 0 or html < json)


# What each refusal means to the person in front of the page, and what to do next.
ERROR_WORDS: dict[int, tuple[str, str]] = {
    400: ("There is a problem", "The page could not understand what was sent. Go back, check "
          "what you entered and try again."),
    401: ("Sign in to continue", "You need to sign in to see this page."),
    403: ("You do not have access to this page", "Your role does not allow this. If you need "
          "it, ask an administrator."),
    404: ("Page not found", "If you typed the web address, check it is correct. If you pasted "
          "the web address, check you copied the entire address."),
    405: ("There is a problem", "This page can't be used that way. Go back and use the page's "
          "own buttons and links."),
    409: ("Someone else changed this", "Someone else changed this record while you were "
          "working on it. Reload the page and make your change again."),
    413: ("The file is too large", "The file you chose is too large, so it was not uploaded. "
          "Make the file smaller (or split it) and try again."),
    415: ("This type of file is not accepted", "Choose a file of a type the page asks for."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: ("Sorry, there is a problem with the service", "Something went wrong on our side. "
          "Try again later."),
    503: ("Sorry, the service is unavailable", "A service the portal depends on is "
          "unavailable. Try again in a few minutes."),
}


def error_words(status: int) -> tuple[str, str]:
    return ERROR_WORDS.get(status) or ERROR_WORDS[500 if status >= 500 else 400]


def back_link(request: Request) -> str | None:
    """Where the person was before a refused form: the page that holds the form, which is the
    form's address without its last part (``/staff/contracts/5/documents`` came from
    ``/staff/contracts/5``). None for a page they asked for directly."""
    if request.method in ("GET", "HEAD"):
        return None
    parent = request.scope.get("path", "").rstrip("/").rsplit("/", 1)[0]
    return parent if parent.startswith("/staff") else None


def error_page(request: Request, status: int, message: str | None = None, *,
               title: str | None = None) -> Template:
    """A page in the style of the part of the site that failed: staff pages for /staff, the
    public (supplier) style everywhere else. Staff pages that know the signed-in person render
    their own (portal/staff/pages.py); this one names no one and carries no form."""
    default_title, default_message = error_words(status)
    staff = request.scope.get("path", "").startswith("/staff")
    return Template("staff/error.html" if staff else "error.html", status_code=status, context={
        "page_title": title or default_title, "message": message or default_message,
        "status": status, "organisation": last_known_name(), "back": back_link(request),
        "actor": None, "nav": [], "base": None})
