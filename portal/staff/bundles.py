"""Workspace screens for answer bundles: the organisation page (our signing keys and the
trust list), confirming a key by its fingerprint, importing a bundle, a reused assessment.

Thin: read the form, call portal.bundles.service (audited there), re-render with the
message in the user's words when refused."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from portal.bundles import envelope, keys
from portal.bundles import service as bundles
from portal.core.context import current_actor
from portal.core.errors import InvalidInput, PortalError
from portal.core.organisation import get_organisation
from portal.core.permissions import READ
from portal.core.schemas import MAX_ID
from portal.staff import auth
from portal.staff.rendering import render

TRUST = {"permission": "organisation.write"}
REVIEW = {"permission": "assessments.review"}
Id = Annotated[int, Parameter(gt=0, le=MAX_ID)]
MAX_BUNDLE = 64 * 1024 * 1024


async def _organisation(request: Request, *, status_code: int = 200, errors: dict | None = None,
                        typed: dict | None = None, import_error: str | None = None) -> Template:
    return render(request, "staff/organisation.html", status_code=status_code,
                  page_title="Organisation and trusted keys", org=await bundles.organisation(),
                  profile=await get_organisation(),
                  signing_keys=keys.all_keys(), issuers=await bundles.list_issuers(),
                  errors=errors or {}, typed=typed or {}, import_error=import_error,
                  notice=request.query_params.get("notice"),
                  format_fingerprint=envelope.format_fingerprint)


@get("/organisation", opt={"permission": READ})
async def organisation_page(request: Request) -> Template:
    return await _organisation(request)


@post("/organisation/trusted", opt=TRUST, status_code=303)
async def add_trusted(request: Request) -> Response:
    form = await auth.check_csrf(request)
    typed = {k: str(form.get(k) or "").strip() for k in ("organisation_name", "ods_code", "public_key")}
    try:
        issuer = await bundles.add_issuer(organisation_name=typed["organisation_name"],
                                          ods_code=typed["ods_code"], public_key=typed["public_key"],
                                          actor=current_actor().name)
    except PortalError as error:
        field = error.extra.get("field", "public_key")
        return await _organisation(request, status_code=error.status_code,
                                   errors={field: error.message}, typed=typed)
    return Redirect(f"/staff/organisation/trusted/{issuer['id']}/confirm", status_code=303)


def _confirm(request: Request, issuer: dict, *, status_code: int = 200, error: str | None = None,
             typed: str = "") -> Template:
    return render(request, "staff/trust_confirm.html", status_code=status_code,
                  page_title="Confirm the key's fingerprint", issuer=issuer,
                  errors={"fingerprint": error} if error else {}, typed={"fingerprint": typed})


@get("/organisation/trusted/{issuer_id:int}/confirm", opt=TRUST)
async def confirm_page(request: Request, issuer_id: Id) -> Template:
    return _confirm(request, await bundles.get_issuer(issuer_id))


@post("/organisation/trusted/{issuer_id:int}/confirm", opt=TRUST, status_code=303)
async def confirm_trusted(request: Request, issuer_id: Id) -> Response:
    form = await auth.check_csrf(request)
    typed = str(form.get("fingerprint") or "").strip()[:200]
    try:
        if not typed:
            raise InvalidInput("Enter the fingerprint the organisation gave you.")
        await bundles.confirm_issuer(issuer_id, fingerprint=typed, actor=current_actor().name)
    except PortalError as error:
        return _confirm(request, await bundles.get_issuer(issuer_id), status_code=error.status_code,
                        error=error.message, typed=typed)
    return Redirect("/staff/organisation?notice=trusted", status_code=303)


@post("/organisation/trusted/{issuer_id:int}/revoke", opt=TRUST, status_code=303)
async def revoke_trusted(request: Request, issuer_id: Id) -> Response:
    await auth.check_csrf(request)
    await bundles.revoke_issuer(issuer_id)
    return Redirect("/staff/organisation?notice=revoked", status_code=303)


@post("/bundles", opt=REVIEW, status_code=303)
async def import_bundle(request: Request) -> Response:
    form = await auth.check_csrf(request)
    upload = form.get("bundle")
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise InvalidInput("Choose a bundle file (.json) to import.")
        data = await upload.read()
        if len(data) > MAX_BUNDLE:
            raise InvalidInput("The file is larger than a bundle can be (64 MB).")
        row, _ = await bundles.import_bundle(bundles.parse_file(data), actor=current_actor().name)
    except PortalError as error:
        return await _organisation(request, status_code=error.status_code, import_error=error.message)
    return Redirect(f"/staff/reused/{row['id']}?notice=imported", status_code=303)


@get("/reused/{reused_id:int}", opt={"permission": READ})
async def reused_page(request: Request, reused_id: Id) -> Template:
    view: dict[str, Any] = await bundles.reused_view(reused_id)
    return render(request, "staff/reused.html", page_title=f"Reused: {view['supplier_name']}",
                  r=view, notice=request.query_params.get("notice"))


HANDLERS = [organisation_page, add_trusted, confirm_page, confirm_trusted, revoke_trusted,
            import_bundle, reused_page]
