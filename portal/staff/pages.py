"""Staff workspace pages (server-rendered, NHS.UK look): sign in, work queue, review."""

from __future__ import annotations

from urllib.parse import quote, urlparse

from litestar import Request, Response, Router, get, post
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from portal.assessments import assignment
from portal.assessments import service as assessments
from portal.core.context import current_actor
from portal.core.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
    PortalError,
    Unprocessable,
)
from portal.core.http import client_address, http_error_handler, unexpected_error_handler
from portal.core.pages import back_link, error_words
from portal.core.permissions import READ, needs_mfa
from portal.core.security import SESSION_COOKIE
from portal.settings import get_settings
from portal.staff import (
    assessment_links,
    attestations,
    auth,
    bundles,
    campaigns,
    evidence,
    notices,
    organisation,
    outbox,
    people,
    queue,
    register,
    subprocessors,
    workspace,
)
from portal.staff.forms import text_values
from portal.staff.rendering import load_organisation, render
from questionnaires.rules import REVIEW_FILTERS, review_filter

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


async def _review_page(request: Request, assessment_id: int, *, status_code: int = 200,
                       errors: dict[str, str] | None = None, problem: str | None = None,
                       typed: dict[str, str] | None = None) -> Template:
    """The review page; a refused decision comes back on it with the error summary, the
    message beside the field and what was typed kept."""
    show = request.query_params.get("show", "all")
    if show not in REVIEW_FILTERS:
        raise InvalidInput("Show all answers, only those that don't meet the requirement, "
                           "or only queried ones.")
    view = await assessments.staff_view(assessment_id)
    for q in view["questions"]:
        q["shown"] = q["visible"] and review_filter(
            show, meets=q["meets"], last_decision=q["last_decision"],
            open_for_clarification=q["open_for_clarification"])
    pool = await assignment.reviewers()
    names = {r["user_id"]: r["username"] for r in pool}
    if view["assigned_to"] is not None and view["assigned_to"] not in names:
        names.update(await assignment.names({view["assigned_to"]}))
    return render(request, "staff/review.html", status_code=status_code,
                  page_title=f"Review: {view['supplier']['name']}", a=view,
                  notice=request.query_params.get("notice"), error=None, errors=errors or {},
                  problem=problem, typed=typed or {}, show=show, filters=REVIEW_FILTERS,
                  reviewers=pool, assigned_name=names.get(view["assigned_to"]),
                  compliant_waiting=len(assessments.compliant_undecided(view)),
                  accepted_count=request.query_params.get("n"))


@get("/assessments/{assessment_id:int}", opt={"permission": READ})
async def review_page(request: Request, assessment_id: int) -> Template:
    return await _review_page(request, assessment_id)


@post("/assessments/{assessment_id:int}/answers/{question_id:str}", opt=REVIEW, status_code=303)
async def review_answer(request: Request, assessment_id: int, question_id: str) -> Response:
    form = await auth.check_csrf(request)
    typed = text_values(form, ("decision", "comment"), max_length=5000)
    field = f"comment-{question_id}"
    error = None
    if typed["decision"] not in {"accepted", "query"}:
        error = "Choose Accept answer or Query answer."
    elif typed["decision"] == "query" and not typed["comment"]:
        error = "Say what the supplier should clarify, then select Query answer."
    if error:
        return await _review_page(request, assessment_id, status_code=400,
                                  errors={field: error}, typed={field: typed["comment"]})
    try:
        await assessments.review_answer(assessment_id, question_id, decision=typed["decision"],
                                        comment=typed["comment"], reviewer=current_actor().name)
    except (Conflict, Unprocessable, InvalidInput) as refused:
        return await _review_page(request, assessment_id, status_code=refused.status_code,
                                  errors={field: refused.message}, typed={field: typed["comment"]})
    return Redirect(f"/staff/assessments/{assessment_id}?notice=answer#q-{question_id}",
                    status_code=303)


@post("/assessments/{assessment_id:int}/decision", opt=REVIEW, status_code=303)
async def decide(request: Request, assessment_id: int) -> Response:
    form = await auth.check_csrf(request)
    typed = text_values(form, ("decision", "comment"), max_length=5000)
    shown = {"decision": typed["decision"], "decision-comment": typed["comment"]}
    decision = typed["decision"]
    if decision not in {"accept", "reject", "clarify"}:
        return await _review_page(request, assessment_id, status_code=400, typed=shown,
                                  errors={"decision": "Choose accept, clarify or reject."})
    posted = await request.form()  # check_csrf gives single values; this one is a list
    question_ids = posted.getall("question_ids") if "question_ids" in posted else None
    if decision == "clarify" and not question_ids:
        # Default: every answer the reviewer queried.
        view = await assessments.staff_view(assessment_id)
        question_ids = [q["question_id"] for q in view["questions"]
                        if q["reviews"] and q["reviews"][-1]["decision"] == "query"]
    try:
        await assessments.review(assessment_id, decision=decision, comment=typed["comment"],
                                 question_ids=question_ids, reviewer=current_actor().name)
    except (Conflict, Unprocessable, InvalidInput) as refused:
        return await _review_page(request, assessment_id, status_code=refused.status_code,
                                  typed=shown, errors={"decision": refused.message})
    return Redirect(f"/staff/assessments/{assessment_id}?notice={decision}", status_code=303)


def _not_signed_in(request: Request, exc: NotAuthenticated) -> Response:
    return Redirect(f"/staff/login?next={quote(request.url.path)}", status_code=303)


def _error(request: Request, status: int, message: str | None = None) -> Template:
    """A refusal or failure on a staff page, in the workspace's style, naming what to do next
    and linking back to the page that held the form."""
    title, default = error_words(status)
    return render(request, "staff/error.html", status_code=status, page_title=title,
                  message=message or default, status=status, back=back_link(request))


def _page_error(request: Request, exc: PortalError) -> Template:
    return _error(request, exc.status_code, exc.message)


def _http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 413:
        return _error(request, 413, f"The file you chose is larger than "
                      f"{get_settings().max_upload_mb} MB, so it was not uploaded and nothing "
                      "was changed. Make the file smaller (or split it) and try again.")
    if exc.status_code in (400, 404, 405):
        return _error(request, exc.status_code)
    return http_error_handler(request, exc)


def _unexpected(request: Request, exc: Exception) -> Template:
    # The core handler logs it and finds the words (503 when the database is away).
    plain = unexpected_error_handler(request, exc)
    detail = plain.content.get("detail") if isinstance(plain.content, dict) else None
    return _error(request, plain.status_code, detail)


def staff_router() -> Router:
    return Router(
        path="/staff",
        guards=[auth.staff_guard],
        route_handlers=[login_page, login, second_factor_page, second_factor, logout,
                        review_page, review_answer, decide,
                        *workspace.HANDLERS, *queue.HANDLERS, *register.HANDLERS,
                        *people.HANDLERS, *subprocessors.HANDLERS, *attestations.HANDLERS,
                        *evidence.HANDLERS, *assessment_links.HANDLERS, *campaigns.HANDLERS,
                        *outbox.HANDLERS, *bundles.HANDLERS, *notices.HANDLERS,
                        *organisation.HANDLERS],
        include_in_schema=False,
        before_request=load_organisation,
        exception_handlers={NotAuthenticated: _not_signed_in, PermissionDenied: _page_error,
                            PortalError: _page_error, HTTPException: _http_error,
                            Exception: _unexpected},
    )
