"""Supplier pages at /respond/{token}: server-rendered, usable without JavaScript.

They call the same service as the supplier JSON API; the forms post back here.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from models.tables import SupplierContact
from portal.assessments import service
from portal.assessments.controllers import through_link
from portal.core.errors import Conflict, InvalidInput, PortalError, TooManyRequests, Unprocessable
from portal.core.http import EXCEPTION_HANDLERS, unexpected_error_handler
from portal.core.pages import error_words, organisation, organisation_name
from portal.core.security import constant_time_equal, hash_secret
from portal.core.text import text_problem
from portal.settings import get_settings
from questionnaires import states
from questionnaires.rules import REPLY_MAX, newly_revealed, visible_ids

PAGE = {"supplier_link": True}
REPLY_KEY = "__reply"  # errors about a reply are keyed "<question id>__reply"
NOTICES = {
    "uploaded": "File uploaded. Your other answers on this page were saved too.",
    "revealed": "Your answers added more questions to this section. Answer them, then "
                "select Save and continue.",
}


def _back(request: Request) -> str | None:
    """Where "Save and continue" returns to: Check your answers when the person came from it."""
    return "check" if request.query_params.get("return") == "check" else None


def form_token(token: str) -> str:
    """Ties each form to its link, so a form can't be replayed against another link."""
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, b"respond:" + hash_secret(token).encode(), hashlib.sha256).hexdigest()[:32]


def _check_form(token: str, submitted: Any) -> None:
    if not isinstance(submitted, str) or not constant_time_equal(submitted, form_token(token)):
        raise InvalidInput("This form has expired. Go back, reload the page and try again.")


def _not_found(organisation: str | None = None, status: int = 404) -> Template:
    return Template("respond/not_found.html", status_code=status,
                    context={"page_title": "Link not valid", "organisation": organisation})


def _answer_text(question: dict, value: Any, evidence: dict[int, dict]) -> str:
    if value is None or value == "" or value == []:
        return ""
    labels = {o["value"]: o["label"] for o in question["options"]}
    if question["type"] == "file":
        return ", ".join(evidence[i]["filename"] for i in value if i in evidence)
    if isinstance(value, list):
        return ", ".join(labels.get(v, v) for v in value)
    return labels.get(value, str(value))


def _error_page(request: Request, status: int, title: str, message: str,
                organisation: str | None = None) -> Template:
    token = request.path_params.get("token") if request.scope.get("path_params") else None
    base = f"/respond/{token}" if isinstance(token, str) and len(token) <= 100 else None
    return Template("respond/error.html", status_code=status, context={
        "page_title": title, "message": message, "organisation": organisation,
        "base": base, "status": status})


def _http_error(request: Request, exc: HTTPException, organisation: str | None = None) -> Response:
    if exc.status_code == 413:
        return _error_page(request, 413, "The file is too large",
                           f"The file you chose is larger than {get_settings().max_upload_mb} MB, "
                           "so it was not uploaded and the answers sent with it were not saved. "
                           "Go back, make the file smaller (or split it) and try again.",
                           organisation)
    if exc.status_code in (400, 404, 405):
        return _error_page(request, exc.status_code,
                           "Page not found" if exc.status_code == 404 else "There is a problem",
                           "This page does not exist. Check the link in your email."
                           if exc.status_code == 404 else
                           "The form could not be read. Go back and try again.",
                           organisation)
    return _error_page(request, exc.status_code, *error_words(exc.status_code), organisation)


def _portal_error(request: Request, exc: PortalError, organisation: str | None = None) -> Response:
    if isinstance(exc, service.LinkNotFound):
        return _not_found(organisation)
    return _error_page(request, exc.status_code, "There is a problem", exc.message, organisation)


def _unexpected(request: Request, exc: Exception, organisation: str | None = None) -> Response:
    # The core handler logs it and finds the words (503 when the database is away).
    plain = unexpected_error_handler(request, exc)
    detail = plain.content.get("detail") if isinstance(plain.content, dict) else None
    status = plain.status_code
    return _error_page(request, status,
                       "Sorry, there is a problem with the service" if status >= 500
                       else "There is a problem",
                       (detail or "Something went wrong on our side.")
                       + (" Your answers saved before this are kept; try again later."
                          if status >= 500 else ""), organisation)


def respond_not_found(request: Request, exc: HTTPException) -> Response:
    """A path under /respond that matches no page (a mistyped link): the supplier's 404
    page; anywhere else the core's answer."""
    if request.url.path.startswith("/respond/") or request.url.path == "/respond":
        return _error_page(request, 404, "Page not found",
                           "This page does not exist. Check the link in your email; if it "
                           "still does not work, ask the organisation that sent it for a new one.")
    return EXCEPTION_HANDLERS[HTTPException](request, exc)


SUPPLIER_INFORMATION = {
    "accessibility": ("Accessibility statement", "accessibility_statement",
                      "We want as many people as possible to be able to use these pages. They "
                      "follow the NHS design system and aim to meet the Web Content "
                      "Accessibility Guidelines (WCAG) 2.2 at level AA: you can use them "
                      "without a mouse, without JavaScript, with a screen reader and at 400% "
                      "zoom. If something does not work for you, contact us (see Contact us) "
                      "and tell us the page and the problem."),
    "privacy": ("Privacy notice", "privacy_notice",
                "We use the answers, files and contact details you give on these pages only "
                "to assess how your organisation protects the data it handles for us (NHS Data "
                "Security and Protection Toolkit, standard 10). We keep them with our supplier "
                "records and delete them under our records retention schedule. Your link is "
                "not stored; we keep only a fingerprint of it."),
    "contact": ("Contact us", "contact_details",
                "Reply to the email that brought you here, or contact the person who sent "
                "you the questionnaire."),
}


class SupplierInformationPages(Controller):
    """The supplier pages' footer links: accessibility statement, privacy notice, contact.
    Each organisation writes its own (Organisation row, back office); until then a default."""

    path = "/supplier-information"
    include_in_schema = False

    @get("/{page:str}", opt={"public": True})
    async def show(self, page: str) -> Template:
        if page not in SUPPLIER_INFORMATION:
            return Template("respond/error.html", status_code=404, context={
                "page_title": "Page not found", "status": 404, "base": None,
                "message": "This page does not exist.",
                "organisation": await organisation_name()})
        title, column, default = SUPPLIER_INFORMATION[page]
        row = await organisation()
        text = (row or {}).get(column) or default
        if page == "contact" and row and not row.get(column):
            named = [f"{row[n]} ({row[e]})" for n, e in (("ig_lead_name", "ig_lead_email"),)
                     if row.get(n) and row.get(e)]
            if named:
                text = f"{text} Our information governance lead is {named[0]}."
        return Template("respond/information.html", context={
            "page_title": title, "paragraphs": [p for p in text.split("\n\n") if p.strip()],
            "organisation": row["name"] if row else None, "base": None})


class RespondPages(Controller):
    path = "/respond"
    include_in_schema = False
    exception_handlers = {HTTPException: _http_error, PortalError: _portal_error,
                          Exception: _unexpected}

    async def _view(self, request: Request, token: str) -> dict[str, Any]:
        return await through_link(request, lambda: service.supplier_view(token))

    def _context(self, view: dict, token: str, **extra: Any) -> dict[str, Any]:
        questions = [(s, q) for s in view["questionnaire"]["sections"] for q in s["questions"]]
        return {
            "view": view, "token": token, "base": f"/respond/{token}",
            "organisation": view["assessment"]["organisation"],
            "csrf": form_token(token), "editable": view["assessment"]["editable"],
            "status": view["assessment"]["status"],
            "section_of": {q["id"]: s["id"] for s, q in questions},
            "question_text": {q["id"]: q["text"] for _, q in questions},
            "queries": {qid: a["query"] for qid, a in view["answers"].items() if a.get("query")},
            "max_mb": get_settings().max_upload_mb, "reply_max": REPLY_MAX,
            "reply_key": REPLY_KEY,
            **extra,
        }

    async def _page(self, request: Request, token: str, render) -> Response | Template:
        """Runs a page; whatever goes wrong, the supplier gets a page in the same style
        (wrong link 404, too many wrong links 429, too large 413, our fault 500)."""
        try:
            return await render()
        except service.LinkNotFound:
            return _not_found(await organisation_name())
        except TooManyRequests:
            return _not_found(status=429)
        except InvalidInput:
            raise  # the page's own form errors (save_section shows them beside the form)
        except HTTPException as error:
            return _http_error(request, error, await organisation_name())
        except PortalError as error:
            return _portal_error(request, error, await organisation_name())
        except Exception as error:  # logged by the core handler, shown as our 500 page
            return _unexpected(request, error, await organisation_name())

    @get("/{token:str}", opt=PAGE)
    async def start(self, request: Request, token: str) -> Template:
        async def render():
            view = await self._view(request, token)
            sections = []
            for s in view["questionnaire"]["sections"]:
                shown = [q for q in s["questions"] if q["visible"]]
                answered = sum(1 for q in shown if q["id"] in view["answers"]
                               and view["answers"][q["id"]]["value"] not in (None, "", []))
                prefilled = sum(1 for q in s["questions"]
                                if (view["answers"].get(q["id"]) or {}).get("prefill")
                                and not view["answers"][q["id"]]["prefill"]["checked"])
                sections.append({"id": s["id"], "title": s["title"], "answered": answered,
                                 "total": len(shown), "to_check": prefilled})
            filled = request.query_params.get("prefilled")
            return Template("respond/start.html", context=self._context(
                view, token, page_title=view["questionnaire"]["title"], sections=sections,
                prefilled=int(filled) if filled and filled.isdigit() and len(filled) < 6
                else None, offer=view["assessment"]["prefill_offer"],
                can_prefill=view["assessment"]["status"] in service.PREFILL_STATES))

        return await self._page(request, token, render)

    @post("/{token:str}/use-previous", opt=PAGE, status_code=303)
    async def use_previous(self, request: Request, token: str) -> Response:
        """The start page's "Use your answers from <date>": pre-fill from our own earlier
        accepted assessment, then back to the start page saying how many were filled."""
        async def render():
            await self._view(request, token)
            form = await request.form()
            _check_form(token, form.get("csrf"))
            filled = await service.prefill_from_previous(token)
            return Redirect(f"/respond/{token}?prefilled={len(filled)}", status_code=303)

        return await self._page(request, token, render)

    def _section(self, view: dict, section_id: str) -> dict:
        for section in view["questionnaire"]["sections"]:
            if section["id"] == section_id:
                return section
        raise service.LinkNotFound()

    def _next_url(self, view: dict, token: str, section_id: str, back: str | None = None) -> str:
        if back == "check":
            return f"/respond/{token}/check"
        ids = [s["id"] for s in view["questionnaire"]["sections"]]
        position = ids.index(section_id)
        if position + 1 < len(ids):
            return f"/respond/{token}/section/{ids[position + 1]}"
        return f"/respond/{token}/check"

    def _render_section(self, view, token, section_id, *, errors=None, typed=None, notice=None,
                        status_code=200, back=None, replies=None) -> Template:
        section = self._section(view, section_id)
        by_question: dict[str, list] = {}
        for item in view["evidence"]:
            by_question.setdefault(item["question_id"], []).append(item)
        return Template("respond/section.html", status_code=status_code, context=self._context(
            view, token, page_title=section["title"], section=section, errors=errors or {},
            typed=typed or {}, replies=replies or {}, notice=notice,
            evidence_by_question=by_question, back=back,
            next_url=self._next_url(view, token, section_id, back)))

    @get("/{token:str}/section/{section_id:str}", opt=PAGE)
    async def section(self, request: Request, token: str, section_id: str) -> Template:
        async def render():
            view = await self._view(request, token)
            notice = request.query_params.get("notice")
            return self._render_section(view, token, section_id, back=_back(request),
                                        notice=NOTICES.get(notice))

        return await self._page(request, token, render)

    @post("/{token:str}/section/{section_id:str}", opt=PAGE, status_code=303)
    async def save_section(self, request: Request, token: str, section_id: str) -> Response:
        """Every button on the page posts the whole form: the answers, the replies and any
        file chosen are saved whichever button was pressed (nothing is lost without JS)."""
        back: str | None = None

        async def render():
            nonlocal back
            view = await self._view(request, token)
            section = self._section(view, section_id)
            form = await request.form()
            _check_form(token, form.get("csrf"))
            back = "check" if form.get("return") == "check" else None
            problem = next((p for v in form.values() if isinstance(v, str)
                            and (p := text_problem(v))), None)
            if problem:  # the same check as every schema (core/text.py)
                raise InvalidInput(f"The form can't be saved: {problem}.")
            typed: dict[str, Any] = {}
            replies: dict[str, str] = {}
            for q in section["questions"]:
                if f"reply_{q['id']}" in form and isinstance(form.get(f"reply_{q['id']}"), str):
                    replies[q["id"]] = form.get(f"reply_{q['id']}")
                if q["type"] == "file" or f"shown_{q['id']}" not in form:
                    continue
                if q["type"] in ("yes_no", "single_choice") and f"q_{q['id']}" not in form:
                    continue  # no radio ticked: a browser can't untick one, so nothing changed
                if q["type"] == "multi_choice":  # no box ticked: the field is absent
                    key = f"q_{q['id']}"
                    typed[q["id"]] = [v for v in form.getall(key) if isinstance(v, str)] \
                        if key in form else []
                else:
                    typed[q["id"]] = form.get(f"q_{q['id']}")
                if isinstance(typed[q["id"]], str) is False and q["type"] != "multi_choice" \
                        and typed[q["id"]] is not None:
                    typed[q["id"]] = None  # a file sent where text belongs
            stored = {qid: a["value"] for qid, a in view["answers"].items()}
            definition = (await service.open_link(token)).definition
            shown = visible_ids(definition, {**stored, **typed})
            errors: dict[str, str] = {}
            saved_values = dict(stored)
            for q in section["questions"]:
                qid = q["id"]
                if qid not in typed or qid not in shown:
                    continue
                answer = view["answers"].get(qid)
                value = typed[qid]
                if value in (None, "") and (answer is None or answer["value"] in (None, "")):
                    continue
                if answer is not None and answer["value"] == value:
                    continue
                if view["assessment"]["status"] == states.State.clarification_requested \
                        and not (answer and answer["open_for_clarification"]):
                    continue
                version = form.get(f"v_{qid}")
                version = str(version or "")
                try:
                    if q["type"] == "number" and isinstance(value, str):
                        value = value.strip()
                    await service.save_answer(
                        token, qid, value=value, comment=answer["comment"] if answer else "",
                        version=int(version) if isinstance(version, str) and version.isascii()
                        and version.isdigit() and len(version) < 10 else None)
                    saved_values[qid] = value
                except (Unprocessable, Conflict) as error:
                    errors[qid] = error.message
            for qid, text in replies.items():
                answer = view["answers"].get(qid)
                if (answer or {}).get("reply", "") == (text or "").strip():
                    continue
                try:
                    await service.save_reply(token, qid, body=text)
                except (Unprocessable, Conflict) as error:
                    errors[f"{qid}{REPLY_KEY}"] = error.message
            uploaded = 0
            for q in section["questions"]:
                upload = form.get(f"file_{q['id']}")
                if upload is None or isinstance(upload, str) or not upload.filename:
                    continue
                try:
                    await service.add_evidence(token, q["id"], filename=upload.filename,
                                               data=await upload.read(), attach=True)
                    uploaded += 1
                except PortalError as error:
                    if isinstance(error, service.LinkNotFound):
                        raise
                    errors[q["id"]] = error.message
            pressed = form.get("upload")
            if isinstance(pressed, str) and pressed and not uploaded and pressed not in errors:
                errors[pressed] = "Choose a file to upload."
            if errors:
                fresh = await service.supplier_view(token)
                return self._render_section(fresh, token, section_id, errors=errors,
                                            typed=typed, replies=replies, status_code=400,
                                            back=back)
            # Saving the section is the supplier's check of the answers pre-filled in it.
            await service.mark_prefill_checked(token, [q["id"] for q in section["questions"]])
            here = f"/respond/{token}/section/{section_id}"
            query = "&return=check" if back else ""
            if pressed:
                return Redirect(f"{here}?notice=uploaded{query}#q-{pressed}", status_code=303)
            if form.get("next") == "later":
                return Redirect(f"/respond/{token}", status_code=303)
            revealed = newly_revealed(definition, stored, saved_values,
                                      {q["id"] for q in section["questions"]})
            if revealed:
                # Follow-up questions the answers just revealed: shown before moving on.
                return Redirect(f"{here}?notice=revealed{query}#q-{revealed[0]}",
                                status_code=303)
            return Redirect(self._next_url(view, token, section_id, back), status_code=303)

        try:
            return await self._page(request, token, render)
        except InvalidInput as error:
            view = await service.supplier_view(token)
            return self._render_section(view, token, section_id, back=back,
                                        errors={"form": error.message}, status_code=400)

    @post("/{token:str}/section/{section_id:str}/upload/{question_id:str}", opt=PAGE,
          status_code=303)
    async def upload(self, request: Request, token: str, section_id: str,
                     question_id: str) -> Response:
        async def render():
            view = await self._view(request, token)
            self._section(view, section_id)
            try:
                form = await request.form()
                _check_form(token, form.get("csrf"))
                upload = form.get(f"file_{question_id}")
                if upload is None or isinstance(upload, str) or not upload.filename:
                    raise InvalidInput("Choose a file to upload.")
                data = await upload.read()
                await service.add_evidence(token, question_id, filename=upload.filename,
                                           data=data, attach=True)
            except PortalError as error:
                if isinstance(error, service.LinkNotFound):
                    raise
                return self._render_section(view, token, section_id,
                                            errors={question_id: error.message},
                                            status_code=error.status_code)
            return Redirect(f"/respond/{token}/section/{section_id}?notice=uploaded#q-{question_id}",
                            status_code=303)

        return await self._page(request, token, render)

    def _check_context(self, view: dict, token: str) -> dict[str, Any]:
        evidence = {e["id"]: e for e in view["evidence"]}
        rows = []
        for s in view["questionnaire"]["sections"]:
            section_rows = []
            for q in s["questions"]:
                if not q["visible"]:
                    continue
                value = view["answers"].get(q["id"], {}).get("value")
                section_rows.append({"id": q["id"], "text": q["text"], "required": q["required"],
                                     "answer": _answer_text(q, value, evidence),
                                     "reply": view["answers"].get(q["id"], {}).get("reply", "")})
            if section_rows:
                rows.append({"id": s["id"], "title": s["title"], "rows": section_rows})
        titles = {s["id"]: s["title"] for s in view["questionnaire"]["sections"]}
        return self._context(view, token, page_title="Check your answers", rows=rows,
                             missing=view["assessment"]["missing"],
                             prefill_unchecked=[{"id": s, "title": titles[s]} for s in
                                                view["assessment"]["prefill_unchecked"]])

    @get("/{token:str}/check", opt=PAGE)
    async def check(self, request: Request, token: str) -> Template:
        async def render():
            view = await self._view(request, token)
            return Template("respond/check.html", context=self._check_context(view, token))

        return await self._page(request, token, render)

    @post("/{token:str}/submit", opt=PAGE, status_code=200)
    async def submit(self, request: Request, token: str) -> Template:
        async def render():
            view = await self._view(request, token)
            form = await request.form()
            try:
                _check_form(token, form.get("csrf"))
                await service.submit(token)
            except Unprocessable:
                fresh = await service.supplier_view(token)
                return Template("respond/check.html", status_code=400,
                                context=self._check_context(fresh, token))
            except (Conflict, InvalidInput):
                return Redirect(f"/respond/{token}", status_code=303)
            contact = await SupplierContact.select(SupplierContact.email).where(
                SupplierContact.id == (await service.open_link(token)).assessment["contact"]).first()
            return Template("respond/confirmation.html", context={
                "page_title": "Answers submitted", "base": f"/respond/{token}",
                "organisation": view["assessment"]["organisation"],
                "contact_email": contact["email"]})

        return await self._page(request, token, render)
