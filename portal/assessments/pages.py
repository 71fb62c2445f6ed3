"""Supplier pages at /respond/{token}: server-rendered, usable without JavaScript.

They call the same service as the supplier JSON API; the forms post back here.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from models.tables import SupplierContact
from portal.assessments import service
from portal.assessments.controllers import through_link
from portal.core.errors import Conflict, InvalidInput, PortalError, TooManyRequests, Unprocessable
from portal.core.security import constant_time_equal, hash_secret
from portal.core.text import text_problem
from portal.settings import get_settings
from questionnaires import states
from questionnaires.rules import visible_ids

PAGE = {"supplier_link": True}


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


class RespondPages(Controller):
    path = "/respond"
    include_in_schema = False

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
            "max_mb": get_settings().max_upload_mb,
            **extra,
        }

    async def _page(self, request: Request, token: str, render) -> Response | Template:
        try:
            return await render()
        except service.LinkNotFound:
            return _not_found()
        except TooManyRequests:
            return _not_found(status=429)

    @get("/{token:str}", opt=PAGE)
    async def start(self, request: Request, token: str) -> Template:
        async def render():
            view = await self._view(request, token)
            sections = []
            for s in view["questionnaire"]["sections"]:
                shown = [q for q in s["questions"] if q["visible"]]
                answered = sum(1 for q in shown if q["id"] in view["answers"]
                               and view["answers"][q["id"]]["value"] not in (None, "", []))
                sections.append({"id": s["id"], "title": s["title"], "answered": answered,
                                 "total": len(shown)})
            return Template("respond/start.html", context=self._context(
                view, token, page_title=view["questionnaire"]["title"], sections=sections))

        return await self._page(request, token, render)

    def _section(self, view: dict, section_id: str) -> dict:
        for section in view["questionnaire"]["sections"]:
            if section["id"] == section_id:
                return section
        raise service.LinkNotFound()

    def _next_url(self, view: dict, token: str, section_id: str) -> str:
        ids = [s["id"] for s in view["questionnaire"]["sections"]]
        position = ids.index(section_id)
        if position + 1 < len(ids):
            return f"/respond/{token}/section/{ids[position + 1]}"
        return f"/respond/{token}/check"

    def _render_section(self, view, token, section_id, *, errors=None, typed=None, notice=None,
                        status_code=200) -> Template:
        section = self._section(view, section_id)
        by_question: dict[str, list] = {}
        for item in view["evidence"]:
            by_question.setdefault(item["question_id"], []).append(item)
        return Template("respond/section.html", status_code=status_code, context=self._context(
            view, token, page_title=section["title"], section=section, errors=errors or {},
            typed=typed or {}, notice=notice, evidence_by_question=by_question,
            next_url=self._next_url(view, token, section_id)))

    @get("/{token:str}/section/{section_id:str}", opt=PAGE)
    async def section(self, request: Request, token: str, section_id: str) -> Template:
        async def render():
            view = await self._view(request, token)
            notice = request.query_params.get("notice")
            return self._render_section(view, token, section_id,
                                        notice={"uploaded": "File uploaded."}.get(notice))

        return await self._page(request, token, render)

    @post("/{token:str}/section/{section_id:str}", opt=PAGE, status_code=303)
    async def save_section(self, request: Request, token: str, section_id: str) -> Response:
        async def render():
            view = await self._view(request, token)
            section = self._section(view, section_id)
            form = await request.form()
            _check_form(token, form.get("csrf"))
            problem = next((p for v in form.values() if isinstance(v, str)
                            and (p := text_problem(v))), None)
            if problem:  # the same check as every schema (core/text.py)
                raise InvalidInput(f"The form can't be saved: {problem}.")
            typed: dict[str, Any] = {}
            for q in section["questions"]:
                if q["type"] == "file" or f"shown_{q['id']}" not in form:
                    continue
                typed[q["id"]] = form.getall(f"q_{q['id']}") if q["type"] == "multi_choice" \
                    else form.get(f"q_{q['id']}")
            stored = {qid: a["value"] for qid, a in view["answers"].items()}
            definition = (await service.open_link(token)).definition
            shown = visible_ids(definition, {**stored, **typed})
            errors: dict[str, str] = {}
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
                        version=int(version) if version.isascii() and version.isdigit()
                        and len(version) < 10 else None)
                except Unprocessable as error:
                    errors[qid] = error.message
                except Conflict as error:
                    errors[qid] = error.message
            if errors:
                fresh = await service.supplier_view(token)
                return self._render_section(fresh, token, section_id, errors=errors,
                                            typed=typed, status_code=400)
            if form.get("next") == "later":
                return Redirect(f"/respond/{token}", status_code=303)
            return Redirect(self._next_url(view, token, section_id), status_code=303)

        try:
            return await self._page(request, token, render)
        except InvalidInput as error:
            view = await service.supplier_view(token)
            return self._render_section(view, token, section_id,
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
                                     "answer": _answer_text(q, value, evidence)})
            if section_rows:
                rows.append({"id": s["id"], "title": s["title"], "rows": section_rows})
        return self._context(view, token, page_title="Check your answers", rows=rows,
                             missing=view["assessment"]["missing"])

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
