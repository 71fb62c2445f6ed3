"""Uploads of the DSPT register export and supplier spreadsheets (also `portal import …`)."""

from __future__ import annotations

from litestar import Controller, Request, post

from portal.certifications.register_import import import_dspt
from portal.core.errors import InvalidInput
from portal.core.uploads import csv_text
from portal.imports.schemas import DsptImportOut, SupplierImportOut
from portal.suppliers.importer import import_suppliers

MAX_CSV = 20 * 1024 * 1024


async def _csv_text(request: Request) -> tuple[str, dict]:
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInput("Attach the CSV file in the field 'file'.")
    return csv_text(await upload.read(), max_bytes=MAX_CSV), dict(form)


class ImportController(Controller):
    path = "/api/v1/imports"
    tags = ["Imports"]

    @post("/dspt", opt={"permission": "imports.run"}, status_code=200,
          summary="Import the DSPT organisation search export (CSV)")
    async def dspt(self, request: Request) -> DsptImportOut:
        text, _ = await _csv_text(request)
        return DsptImportOut(**(await import_dspt(text)).as_dict())

    @post("/suppliers", opt={"permission": "imports.run"}, status_code=200,
          summary="Import suppliers from a spreadsheet (CSV); dry_run=true to check only")
    async def suppliers(self, request: Request) -> SupplierImportOut:
        text, form = await _csv_text(request)
        dry_run = str(form.get("dry_run", "")).lower() in {"1", "true", "yes", "on"}
        return SupplierImportOut(**(await import_suppliers(text, dry_run=dry_run)).as_dict())
