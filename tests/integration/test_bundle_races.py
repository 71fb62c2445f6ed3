"""Races against a real server with two worker processes (PostgreSQL with
PORTAL_TEST_DATABASE_URL, else SQLite): the same bundle imported eight times at once makes one
reused assessment; eight decisions on one sub-processor notice at once make one decision."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.tables import AuditEvent, OutboundEmail, ReusedAssessment
from portal.bundles import envelope
from portal.bundles import service as bundles
from portal.core import staff
from portal.notices import service as notices
from tests import factories
from tests.integration.bundle_steps import _accepted, _as_other
from tests.net import running_portal

TOGETHER = 8


@pytest.fixture(scope="module")
def server():
    with running_portal(workers=2, PORTAL_LOG_LEVEL="WARNING") as base:
        yield base


async def _headers() -> dict[str, str]:
    issued = await staff.create_token(name="race-reviewer", role="reviewer")
    return {"Authorization": f"Bearer {issued.token}"}


async def test_one_bundle_imported_at_once_is_stored_once(server):
    _, assessment = await _accepted()
    ours = await bundles.build(assessment["id"], include_files=True)
    other = Ed25519PrivateKey.generate()
    raw = envelope.public_key_bytes(other.public_key())
    await bundles.add_issuer(organisation_name="North Moor ICB", ods_code="QNM",
                             public_key=envelope.b64(raw), fingerprint=envelope.fingerprint(raw),
                             actor="test")
    body = json.dumps(_as_other(ours, other))
    headers = await _headers()
    async with httpx.AsyncClient(base_url=server, timeout=120) as http:
        responses = await asyncio.gather(*[http.post("/api/v1/bundles", content=body, headers=headers)
                                           for _ in range(TOGETHER)])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * (TOGETHER - 1) + [201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await ReusedAssessment.count() == 1
    assert await AuditEvent.count().where(AuditEvent.action == "bundle.imported") == 1


async def test_decisions_on_one_notice_at_once_make_one(server):
    supplier = await factories.supplier()
    await factories.contact(supplier["id"], email="dpo@meridian.example")
    notice = await notices.record_notice(supplier["id"], {
        "change": "add", "name": "Offshore Desk", "location": "India",
        "intended_start": dt.date.today() + dt.timedelta(days=40)}, source="staff", source_detail="")
    headers = await _headers()
    async with httpx.AsyncClient(base_url=server, timeout=120) as http:
        responses = await asyncio.gather(*[
            http.post(f"/api/v1/subprocessor-notices/{notice['id']}/decision", headers=headers,
                      json={"decision": "objection", "reasons": f"Reason {i}"})
            for i in range(TOGETHER)])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (TOGETHER - 1), [r.text for r in responses]
    assert await OutboundEmail.count().where(OutboundEmail.related_type == "sub_processor_notice") == 1
    assert await AuditEvent.count().where(AuditEvent.action == "notice.decided") == 1
