"""The application factory: plugins, routes and the admin mount; nothing else."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlparse

from litestar import Litestar, Router, asgi, get
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import File, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Receive, Scope, Send

from admin.config import back_office, build_admin
from portal import __version__, jobs
from portal.assessments.controllers import (
    AssessmentController,
    CampaignController,
    EvidenceController,
    QuestionnaireController,
    RespondController,
)
from portal.assessments.pages import RespondPages, SupplierInformationPages, respond_not_found
from portal.bundles import keys as signing
from portal.bundles.controllers import BundleController, signing_keys
from portal.bundles.pages import SupplierBundlePages
from portal.certifications.controllers import CertificationController
from portal.contracts.controllers import ContractClauseController
from portal.core import pages
from portal.core.audit import keep_sealing
from portal.core.db import close_pool, start_pool
from portal.core.health import health
from portal.core.http import EXCEPTION_HANDLERS, permission_guard, wrap_app
from portal.core.logging import configure_logging
from portal.core.organisation import OrganisationController
from portal.imports.controllers import ImportController
from portal.notices.controllers import NoticeController
from portal.notices.pages import NoticePages
from portal.reports.controllers import (
    AttestationController,
    approve_pack,
    dspt_evidence,
    pack_approvals,
    register_csv,
    supplier_report,
)
from portal.risks.api import RiskController
from portal.schedules.controllers import ScheduleController
from portal.scoring.controllers import supplier_score
from portal.settings import Settings, get_settings
from portal.staff.pages import staff_router
from portal.suppliers.controllers import (
    ContractController,
    SubProcessorController,
    SupplierController,
)
from portal.wiring import wire

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATE_DIR = Path(__file__).parent / "templates"


def _template_globals(engine: JinjaTemplateEngine) -> None:
    from questionnaires.states import as_template_globals

    engine.engine.globals.update(as_template_globals())


def api_router() -> Router:
    """Everything under /api/v1 passes the permission guard (deny unless a route says who may)."""
    return Router(
        path="/",
        guards=[permission_guard],
        route_handlers=[SupplierController, ContractController, SubProcessorController,
                        CertificationController,
                        QuestionnaireController, AssessmentController, CampaignController,
                        EvidenceController,
                        RespondController, ContractClauseController, ScheduleController,
                        supplier_score,
                        dspt_evidence, supplier_report, register_csv, approve_pack, pack_approvals,
                        RiskController, ImportController, OrganisationController,
                        AttestationController, BundleController, NoticeController],
        security=[{"bearer": []}, {"session": []}],
    )


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="NHS supplier assurance portal API",
        version=__version__,
        description=(
            "Supplier register, assurance and DSPT standard 10 evidence. Authenticate with "
            "`Authorization: Bearer <token>` (create one with `portal create-token`); a signed-in "
            "back-office session can read. Errors are JSON: `{status_code, detail, errors?}`."
        ),
        path="/schema",
        render_plugins=[
            SwaggerRenderPlugin(
                # Swagger UI 5 from npm (reads OpenAPI 3.1), served by us, no CDN favicon.
                js_url="/static/vendor/swagger/swagger-ui-bundle.js",
                css_url="/static/vendor/swagger/swagger-ui.css",
                standalone_preset_js_url="/static/vendor/swagger/swagger-ui-standalone-preset.js",
                favicon='<link rel="icon" href="/favicon.ico">',
                path=["/", "/swagger"],
            )
        ],
        components=Components(security_schemes={
            "bearer": SecurityScheme(type="http", scheme="bearer",
                                     description="API token from `portal create-token`"),
            "session": SecurityScheme(type="apiKey", name="id", security_scheme_in="cookie",
                                      description="Back-office session cookie"),
        }),
    )


@get("/", opt={"public": True}, include_in_schema=False)
async def home() -> Template:
    """The portal's address: who it is for, the way in for staff, and for suppliers how their
    link works and whom to ask when it is lost."""
    row = await pages.organisation() or {}
    contact = row.get("contact_details") or ""
    if not contact and row.get("ig_lead_email"):
        contact = f"{row.get('ig_lead_name') or 'our information governance lead'} " \
                  f"({row['ig_lead_email']})"
    return Template("home.html", context={"page_title": "Supplier assurance",
                                          "organisation": row.get("name"), "contact": contact,
                                          "base": None})


FAVICON = STATIC_DIR / "vendor/nhsuk/assets/images/favicon.ico"


@get("/favicon.ico", opt={"public": True}, include_in_schema=False)
async def favicon() -> File:
    """Browsers ask for it on pages that name none (the NHS.UK frontend's own icon)."""
    return File(FAVICON, media_type="image/x-icon", content_disposition_type="inline",
                headers={"Cache-Control": "public, max-age=86400"})


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    wire()
    host = urlparse(settings.effective_base_url).hostname or settings.host
    admin_app = back_office(build_admin(
        production=settings.https,
        allowed_hosts=sorted({host, "localhost", "127.0.0.1", "testserver"}),
        site_name="Supplier assurance: back office",
        session_hours=settings.session_hours,
    ))

    # Built once here, not per request: rebuilding costs ~60 ms and resets its login rate limit.
    @asgi("/admin/", is_mount=True, copy_scope=True, opt={"public": True}, include_in_schema=False)
    async def admin(scope: Scope, receive: Receive, send: Send) -> None:
        await admin_app(scope, receive, send)

    background: list[asyncio.Task] = []
    stop_background = asyncio.Event()

    async def on_startup() -> None:
        signing.active_key()  # the organisation's signing key exists from the first start
        await start_pool(settings)
        stop_background.clear()
        if settings.is_postgres:
            background.append(asyncio.create_task(keep_sealing(stop_background),
                                                  name="audit-sealer"))
        if settings.jobs_interval:
            background.append(asyncio.create_task(jobs.keep_running(settings, stop_background),
                                                  name="scheduled-jobs"))

    async def on_shutdown() -> None:
        stop_background.set()
        if background:
            # A seal or job run in progress finishes (milliseconds); then the pool closes.
            await asyncio.wait(background, timeout=3)
        background.clear()
        await close_pool(timeout=3)

    return wrap_app(Litestar(
        route_handlers=[
            home,
            favicon,
            health,
            signing_keys,
            admin,
            api_router(),
            RespondPages,
            SupplierBundlePages,
            NoticePages,
            SupplierInformationPages,
            staff_router(),
            # nhsuk-frontend's stylesheet refers to its icons under /assets/
            create_static_files_router(path="/assets", directories=[STATIC_DIR / "vendor/nhsuk/assets"],
                                       include_in_schema=False, opt={"public": True}),
            create_static_files_router(path="/static", directories=[STATIC_DIR],
                                       include_in_schema=False, opt={"public": True}),
        ],
        # A mistyped supplier path gets the supplier's 404 page; everything else the core's.
        exception_handlers={**EXCEPTION_HANDLERS, NotFoundException: respond_not_found},
        openapi_config=openapi_config(),
        template_config=TemplateConfig(directory=TEMPLATE_DIR, engine=JinjaTemplateEngine,
                                       engine_callback=_template_globals),
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        debug=False,
        logging_config=None,  # keep our structlog JSON configuration (core/logging.py)
        request_max_body_size=settings.max_upload_bytes + 1024 * 1024,
    ))
