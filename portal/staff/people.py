"""Staff accounts in the workspace (administrators only): create, change role, deactivate or
reactivate, reset an authenticator. Thin: each form calls one function of core/staff.py,
which checks the permission again and audits the change in the same transaction."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from portal.core import staff
from portal.core.context import current_actor
from portal.core.errors import PortalError
from portal.core.permissions import READ, ROLES
from portal.core.schemas import MAX_ID
from portal.staff import auth
from portal.staff.rendering import render

MANAGE = {"permission": "staff.manage"}
Id = Annotated[int, Parameter(gt=0, le=MAX_ID)]
NOTICES = {"created": "The account was created. They set up their authenticator at first "
                      "sign-in if their role needs one.",
           "role": "The role was changed; they sign in again.",
           "deactivated": "The account was deactivated and signed out.",
           "reactivated": "The account was reactivated.",
           "reset": "The authenticator was reset: they enrol a new one at their next sign-in."}
# Which form field a service's message belongs next to.
_FIELD_WORDS = (("password", "password"), ("username", "username"), ("user called", "username"),
                ("email", "email"), ("role", "role"))


async def _page(request: Request, *, status_code: int = 200, errors: dict[str, str] | None = None,
                typed: dict[str, Any] | None = None, row_error: str | None = None) -> Template:
    return render(request, "staff/people.html", status_code=status_code, page_title="Staff",
                  people=await staff.list_staff(), roles=ROLES, errors=errors or {},
                  typed=typed or {}, row_error=row_error,
                  notice=NOTICES.get(request.query_params.get("notice") or ""))


@get("/people", opt=MANAGE)
async def people_page(request: Request) -> Template:
    return await _page(request)


@post("/people", opt=MANAGE, status_code=303)
async def create_person(request: Request) -> Response:
    form = await auth.check_csrf(request)
    typed = {k: str(form.get(k) or "") for k in ("username", "email", "role")}
    errors: dict[str, str] = {}
    if not typed["username"].strip():
        errors["username"] = "Enter a username."
    if typed["role"] not in ROLES:
        errors["role"] = "Choose a role."
    password = str(form.get("password") or "")
    if not password:
        errors["password"] = "Enter a first password (at least 12 characters)."  # noqa: S105
    if not errors:
        try:
            await staff.create_user(username=typed["username"], password=password,
                                    role=typed["role"], email=typed["email"],
                                    actor=current_actor())
        except PortalError as error:
            field = next((f for word, f in _FIELD_WORDS if word in error.message.lower()),
                         "username")
            errors[field] = error.message[:1].upper() + error.message[1:]
    if errors:
        return await _page(request, status_code=400, errors=errors, typed=typed)
    return Redirect("/staff/people?notice=created", status_code=303)


async def _act(request: Request, action, notice: str) -> Response:
    try:
        await action()
    except PortalError as error:
        return await _page(request, status_code=error.status_code, row_error=error.message)
    return Redirect(f"/staff/people?notice={notice}", status_code=303)


@post("/people/{user_id:int}/role", opt=MANAGE, status_code=303)
async def change_role(request: Request, user_id: Id) -> Response:
    form = await auth.check_csrf(request)
    return await _act(request, lambda: staff.change_role(
        user_id=user_id, role=str(form.get("role") or ""), actor=current_actor()), "role")


@post("/people/{user_id:int}/active", opt=MANAGE, status_code=303)
async def set_active(request: Request, user_id: Id) -> Response:
    form = await auth.check_csrf(request)
    active = form.get("active") == "yes"
    return await _act(request, lambda: staff.set_active(
        user_id=user_id, active=active, actor=current_actor()),
        "reactivated" if active else "deactivated")


@post("/people/{user_id:int}/authenticator", opt=MANAGE, status_code=303)
async def reset_authenticator(request: Request, user_id: Id) -> Response:
    await auth.check_csrf(request)
    return await _act(request, lambda: staff.reset_authenticator(
        user_id=user_id, actor=current_actor()), "reset")


# Your account: every staff member, their own settings only -------------------------------


def _account(request: Request, *, on: bool, status_code: int = 200,
             errors: dict[str, str] | None = None, notice: str | None = None) -> Template:
    return render(request, "staff/account.html", status_code=status_code,
                  page_title="Your account", on=on, errors=errors or {}, notice=notice)


@get("/account", opt={"permission": READ})
async def account_page(request: Request) -> Template:
    actor = current_actor()
    on = await staff.notifications_on(actor.user_id or 0)
    return _account(request, on=on, notice="Your email setting was saved."
                    if request.query_params.get("notice") == "saved" else None)


@post("/account", opt={"permission": READ}, status_code=303)
async def save_account(request: Request) -> Response:
    form = await auth.check_csrf(request)
    choice = str(form.get("notify_by_email") or "")
    if choice not in ("yes", "no"):
        on = await staff.notifications_on(current_actor().user_id or 0)
        return _account(request, on=on, status_code=400, errors={
            "notify_by_email": "Choose whether you want these emails"})
    await staff.set_notifications(on=choice == "yes", actor=current_actor())
    return Redirect("/staff/account?notice=saved", status_code=303)


HANDLERS = [people_page, create_person, change_role, set_active, reset_authenticator,
            account_page, save_account]
