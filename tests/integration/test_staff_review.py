"""Staff workspace: signing in, the work queue and the review page."""

from __future__ import annotations

from portal.core import staff
from tests.integration.journeys import (
    PASSWORD,
    PDF,
    csrf_of,
    onboard,
    send,
    sign_in,
    submitted_assessment,
)


async def test_staff_pages_need_sign_in(client):
    response = await client.get("/staff/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login")


async def test_wrong_password_is_a_clear_error_and_open_redirects_are_refused(client):
    await staff.create_user(username="rev", password=PASSWORD, role="reviewer")
    page = await client.get("/staff/login?next=https://evil.example/")
    assert 'value="/staff/"' in page.text
    response = await client.post("/staff/login", data={
        "csrf": csrf_of(page), "username": "rev", "password": "wrong", "next": "/staff/"})
    assert response.status_code == 400
    assert "not right" in response.text
    no_csrf = await client.post("/staff/login", data={"username": "rev", "password": PASSWORD})
    assert no_csrf.status_code == 400


async def test_reviewer_queries_an_answer_and_asks_for_clarification(client, procurement):
    assessment_id, token, evidence = await submitted_assessment(client, procurement)
    await sign_in(client, "reviewer")
    queue = await client.get("/staff/")
    assert queue.status_code == 200 and "Meridian Health Records" in queue.text
    page = await client.get(f"/staff/assessments/{assessment_id}")
    assert page.status_code == 200
    assert "Query answer" in page.text and evidence["filename"] in page.text
    csrf = csrf_of(page)
    queried = await client.post(f"/staff/assessments/{assessment_id}/answers/mfa",
                                data={"csrf": csrf, "decision": "query",
                                      "comment": "Name the systems without MFA."})
    assert queried.status_code == 303
    decided = await client.post(f"/staff/assessments/{assessment_id}/decision",
                                data={"csrf": csrf, "decision": "clarify",
                                      "comment": "Please clarify the queried answer."})
    assert decided.status_code == 303
    view = (await client.get(f"/api/v1/respond/{token}")).json()
    assert view["assessment"]["status"] == "clarification_requested"
    assert [q for q, a in view["answers"].items() if a["open_for_clarification"]] == ["mfa"]
    download = await client.get(f"/api/v1/evidence/{evidence['id']}")
    assert download.content == PDF


async def test_auditor_reads_the_review_page_but_cannot_decide(client, procurement):
    assessment_id, _, _ = await submitted_assessment(client, procurement)
    await sign_in(client, "auditor")
    page = await client.get(f"/staff/assessments/{assessment_id}")
    assert page.status_code == 200
    assert "Record decision" not in page.text
    refused = await client.post(f"/staff/assessments/{assessment_id}/decision",
                                data={"csrf": csrf_of(page), "decision": "accept"})
    assert refused.status_code == 403
    detail = (await client.get(f"/api/v1/assessments/{assessment_id}")).json()
    assert detail["status"] == "submitted"


async def test_forms_without_the_csrf_token_are_refused(client, procurement):
    assessment_id, _, _ = await submitted_assessment(client, procurement)
    await sign_in(client, "reviewer")
    response = await client.post(f"/staff/assessments/{assessment_id}/decision",
                                 data={"decision": "accept"})
    assert response.status_code == 400
    assert "expired" in response.text


async def test_states_are_set_as_documented_and_illegal_moves_are_409_in_plain_words(
        client, procurement, reviewer):
    from models.tables import Assessment, AuditEvent

    supplier, contact = await onboard(client, procurement)
    sent, token = await send(client, procurement, supplier, contact)
    created = await AuditEvent.select(AuditEvent.before, AuditEvent.after).where(
        AuditEvent.action == "assessment.sent").first()
    assert "draft" in str(created["before"]) and "sent" in str(created["after"])
    early = await client.post(f"/api/v1/assessments/{sent['id']}/review", headers=reviewer,
                              json={"decision": "accept", "comment": ""})
    assert early.status_code == 409 and "is sent" in early.json()["detail"]
    assert "_" not in early.json()["detail"]

    assessment_id, token, _ = await submitted_assessment(client, procurement)
    first = await client.post(f"/api/v1/assessments/{assessment_id}/answers/legal_name/review",
                              headers=reviewer, json={"decision": "query", "comment": "Which?"})
    assert first.status_code == 200, first.text
    status = (await Assessment.select(Assessment.status).where(Assessment.id == assessment_id)
              .first())["status"]
    assert status == "in_review"  # the first answer reviewed puts it in review
    clarify = await client.post(f"/api/v1/assessments/{assessment_id}/review", headers=reviewer,
                                json={"decision": "clarify", "comment": "Say more",
                                      "question_ids": ["legal_name"]})
    assert clarify.json()["status"] == "clarification_requested"
    resubmitted = await client.post(f"/api/v1/respond/{token}/submit")
    assert resubmitted.json() == {"status": "resubmitted"}
    accepted = await client.post(f"/api/v1/assessments/{assessment_id}/review", headers=reviewer,
                                 json={"decision": "accept", "comment": "Fine"})
    assert accepted.json()["status"] == "accepted"
    for action in ("reissue", "revoke"):
        refused = await client.post(f"/api/v1/assessments/{assessment_id}/{action}",
                                    headers=procurement)
        assert refused.status_code == 409, (action, refused.text)
        assert "accepted" in refused.json()["detail"] and "_" not in refused.json()["detail"]
