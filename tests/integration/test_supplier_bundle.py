"""The supplier downloads its own signed answers through its link (issue #16 item 4):
the same bundle the staff API exports, only once the assessment is accepted, audited."""

from __future__ import annotations

import base64

from models.tables import AuditEvent
from portal.assessments import service as assessments
from portal.bundles import envelope
from tests import factories
from tests.integration.bundle_steps import _payload


async def _submitted():
    s = await factories.supplier(companies_house_number="01234567")
    c = await factories.contact(s["id"])
    assessment, token = await factories.submitted_assessment(s["id"], c["id"])
    return assessment, token


async def _accept(assessment_id: int) -> None:
    await assessments.review(assessment_id, decision="accept", comment="Thorough answers.",
                             question_ids=None, reviewer="demo-reviewer")


async def test_no_download_before_acceptance(client):
    assessment, token = await _submitted()
    start = await client.get(f"/respond/{token}")
    assert start.status_code == 200
    assert "Download your signed answers" not in start.text
    response = await client.get(f"/respond/{token}/signed-answers")
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "once the organisation has accepted" in response.text
    assert not await AuditEvent.exists().where(AuditEvent.action == "bundle.downloaded")


async def test_download_after_acceptance_is_the_staff_bundle(client, reviewer):
    assessment, token = await _submitted()
    await _accept(assessment["id"])
    start = await client.get(f"/respond/{token}")
    assert "Download your signed answers" in start.text
    assert f"/respond/{token}/signed-answers" in start.text
    response = await client.get(f"/respond/{token}/signed-answers")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["content-type"].startswith("application/json")
    signed = response.json()
    published = (await client.get("/.well-known/portal-signing-keys.json")).json()
    envelope.verify(envelope.open_envelope(signed),
                    base64.b64decode(published["keys"][0]["public_key"]))
    staff = (await client.get(f"/api/v1/assessments/{assessment['id']}/bundle",
                              headers=reviewer)).json()
    mine, theirs = _payload(signed), _payload(staff)
    mine.pop("issued_at"), theirs.pop("issued_at")
    assert mine == theirs
    event = await AuditEvent.select().where(AuditEvent.action == "bundle.downloaded").first()
    assert event["target_id"] == str(assessment["id"])
    assert token not in str(event)


async def test_wrong_link_gets_the_plain_not_found_page(client):
    response = await client.get("/respond/not-a-real-link/signed-answers")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
