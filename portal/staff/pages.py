"""Staff workspace pages (server-rendered, NHS.UK look): sign in, work queue, review."""

from __future__ import annotations

from urllib.parse import quote, urlparse

from litestar import Request, Response, Router, get, post
from litestar.response import Redirect, Template

from portal.assessments import service as assessments
from portal.core.context import current_actor
from portal.core.errors import InvalidInput, NotAuthenticated, PermissionDenied, PortalError
from portal.core.http import client_address
from portal.core.permissions import READ, needs_mfa
from portal.core.security import SESSION_COOKIE
from portal.settings import get_settings
from portal.staff import auth, bundles, notices, people, register, subprocessors, workspace
from portal.staff.rendering import render

REVIEW = {"permission": "assessments.review"}


def _safe_next(value: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if value == "/admin/":
        return value  # the back office sends its visitors here to sign in
    if not value or not value.startswith("/staff") or urlparse(value).netloc or "\\" in value:
        return "/staff/"
    return value


@get("/login", opt={"public": True})
async def login_page(request: Request, next: str | None = None) -> Template:
    return render(request, "staff/login.html", page_title="Sign in", next=_safe_next(next),
                  error=None)


def _session_response(destination: str, token: str, request: Request) -> Response:
    response = Redirect(destination, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=request.url.scheme == "https", max_age=get_settings().session_hours * 3600)
    response.delete_cookie(auth.PENDING_COOKIE, path="/staff")
    return response


@post("/login", opt={"public": True}, status_code=303)
async def login(request: Request) -> Response:
    form = await request.form()
    destination = _safe_next(form.get("next"))
    try:
        await auth.check_csrf(request)
        signed = await auth.sign_in(username=str(form.get("username") or "").strip(),
                                    password=str(form.get("password") or ""),
                                    client=client_address(request))
        user_id = signed.user_id
        actor = None if signed.code_only else await auth.actor_from_session_user(user_id)
    except PortalError as error:
        return render(request, "staff/login.html", status_code=error.status_code,
                      page_title="Sign in", next=destination, error=error.message,
                      username=str(form.get("username") or "")[:100])
    if actor is None or needs_mfa(actor.role) or signed.second_factor_required:
        response = Redirect(f"/staff/login/mfa?next={quote(destination)}", status_code=303)
        response.set_cookie(auth.PENDING_COOKIE,
                            auth.pending_cookie_value(user_id, signed.code_only),
                            httponly=True, samesite="strict", path="/staff",
                            secure=request.url.scheme == "https", max_age=auth.PENDING_SECONDS)
        return response
    return _session_response(destination, await auth.open_session(user_id, second_factor=False),
                             request)


@get("/login/mfa", opt={"public": True})
async def second_factor_page(request: Request, next: str | None = None) -> Response:
    pending = auth.pending_user(request.cookies.get(auth.PENDING_COOKIE))
    if pending is None:
        return Redirect(f"/staff/login?next={quote(_safe_next(next))}", status_code=303)
    state = await auth.second_factor_state(pending.user_id, code_only=pending.code_only)
    return render(request, "staff/mfa.html", page_title="Authenticator code",
                  next=_safe_next(next), state=state, error=None)


@post("/login/mfa", opt={"public": True}, status_code=303)
async def second_factor(request: Request) -> Response:
    form = await request.form()
    destination = _safe_next(form.get("next"))
    pending = auth.pending_user(request.cookies.get(auth.PENDING_COOKIE))
    if pending is None:
        return Redirect(f"/staff/login?next={quote(destination)}", status_code=303)
    try:
        await auth.check_csrf(request)
        await auth.verify_second_factor(pending.user_id, str(form.get("code") or ""),
                                        client=client_address(request),
                                        code_only=pending.code_only)
    except PortalError as error:
        return render(request, "staff/mfa.html", status_code=error.status_code,
                      page_title="Authenticator code", next=destination,
                      state=await auth.second_factor_state(pending.user_id,
                                                           code_only=pending.code_only),
                      error=error.message)
    return _session_response(
        destination, await auth.open_session(pending.user_id, second_factor=True), request)


@post("/logout", opt={"permission": READ}, status_code=303)
async def logout(request: Request) -> Response:
    await auth.check_csrf(request)
    await auth.sign_out(request.cookies.get(SESSION_COOKIE, ""))
    response = Redirect("/staff/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@get("/assessments/{assessment_id:int}", opt={"permission": READ})
async def review_page(request: Request, assessment_id: int) -> Template:
    view = await assessments.staff_view(assessment_id)
    return render(request, "staff/review.html", page_title=f"Review: {view['supplier']['name']}",
                  a=view, notice=request.query_params.get("notice"), error=None)


@post("/assessments/{assessment_id:int}/answers/{question_id:str}", opt=REVIEW, status_code=303)
async def review_answer(request: Request, assessment_id: int, question_id: str) -> Response:
    form = await auth.check_csrf(request)
    decision = form.get("decision")
    if decision not in {"accepted", "query"}:
        raise InvalidInput("Choose accept or query.")
    comment = str(form.get("comment") or "").strip()[:5000]
    if decision == "query" and not comment:
        raise InvalidInput("Say what the supplier should clarify.")
    await assessments.review_answer(assessment_id, question_id, decision=decision,
                                    comment=comment, reviewer=current_actor().name)
    return Redirect(f"/staff/assessments/{assessment_id}?notice=answer#q-{question_id}",
                    status_code=303)


@post("/assessments/{assessment_id:int}/decision", opt=REVIEW, status_code=303)
async def decide(request: Request, assessment_id: int) -> Response:
    form = await request.form()
    await auth.check_csrf(request)
    decision = form.get("decision")
    if decision not in {"accept", "reject", "clarify"}:
        raise InvalidInput("Choose a decision.")
    question_ids = form.getall("question_ids") if "question_ids" in form else None
    if decision == "clarify" and not question_ids:
        # Default: every answer the reviewer queried.
        view = await assessments.staff_view(assessment_id)
        question_ids = [q["question_id"] for q in view["questions"]
                        if q["reviews"] and q["reviews"][-1]["decision"] == "query"]
    await assessments.review(assessment_id, decision=decision,
                             comment=str(form.get("comment") or "").strip()[:5000],
                             question_ids=question_ids, reviewer=current_actor().name)
    return Redirect(f"/staff/assessments/{assessment_id}?notice={decision}", status_code=303)


def _not_signed_in(request: Request, exc: NotAuthenticated) -> Response:
    return Redirect(f"/staff/login?next={quote(request.url.path)}", status_code=303)


def _page_error(request: Request, exc: PortalError) -> Template:
    return render(request, "staff/error.html", status_code=exc.status_code,
                  page_title="There is a problem", message=exc.message)


def staff_router() -> Router:
    return Router(
        path="/staff",
        guards=[auth.staff_guard],
        route_handlers=[login_page, login, second_factor_page, second_factor, logout,
                        review_page, review_answer, decide,
                        *workspace.HANDLERS, *register.HANDLERS, *people.HANDLERS,
                        *subprocessors.HANDLERS, *bundles.HANDLERS,
                        *notices.HANDLERS],
        include_in_schema=False,
        exception_handlers={NotAuthenticated: _not_signed_in, PermissionDenied: _page_error,
                            PortalError: _page_error},
    )
