"""The supplier's own signed answers at /respond/{token}/signed-answers: once the
organisation accepted the questionnaire, the supplier downloads the same signed bundle the
staff API exports (`service.build` through `service.supplier_download`), to show another
organisation. Before acceptance it gets a plain 403 page saying why."""

from __future__ import annotations

import json

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from portal.assessments import service as assessments
from portal.assessments.controllers import through_link
from portal.assessments.pages import (
    PAGE,
    RespondPages,
    _check_form,
    _error_page,
    _not_found,
)
from portal.bundles import service
from portal.core.downloads import content_disposition
from portal.core.errors import InvalidInput, PortalError, TooManyRequests
from portal.core.pages import organisation_name


class SupplierBundlePages(Controller):
    path = "/respond"
    include_in_schema = False
    exception_handlers = RespondPages.exception_handlers

    @get("/{token:str}/signed-answers", opt=PAGE)
    async def download(self, request: Request, token: str) -> Response | Template:
        try:
            filename, signed = await through_link(
                request, lambda: service.supplier_download(token))
        except assessments.LinkNotFound:
            return _not_found(await organisation_name())
        except TooManyRequests:
            return _not_found(status=429)
        except service.BundleNotReady as error:
            return _error_page(request, 403, "Your signed answers are not ready yet",
                               error.message, await organisation_name())
        return Response(content=json.dumps(signed, indent=2).encode("utf-8"),
                        media_type="application/json",
                        headers={"content-disposition": content_disposition(filename),
                                 "cache-control": "no-store"})

    @post("/{token:str}/signed-answers", opt=PAGE, status_code=303)
    async def upload(self, request: Request, token: str) -> Response | Template:
        """Pre-fill this questionnaire from a signed bundle the supplier holds. A refused
        file gets a page naming the reason in plain words (4xx); nothing is stored."""
        try:
            await through_link(request, lambda: assessments.open_link(token))
            form = await request.form()
            _check_form(token, form.get("csrf"))
            upload = form.get("bundle")
            if upload is None or isinstance(upload, str) or not upload.filename:
                raise InvalidInput("Choose the file of signed answers to upload.")
            result = await service.prefill_from_bundle(token, await upload.read())
        except assessments.LinkNotFound:
            return _not_found(await organisation_name())
        except TooManyRequests:
            return _not_found(status=429)
        except PortalError as error:
            return _error_page(request, error.status_code, "The file can't be used",
                               error.message, await organisation_name())
        return Redirect(f"/respond/{token}?prefilled={len(result['filled'])}", status_code=303)
