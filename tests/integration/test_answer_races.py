"""Races fired together against a real server with two worker processes (PostgreSQL with
PORTAL_TEST_DATABASE_URL, else SQLite): first saves of one answer, a save or upload racing a
submit, two decisions at once, two first settings of one contract clause; and the two-tab case
on the supplier's form."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from models.tables import Answer, Assessment, AuditEvent, ContractClause, EvidenceFile
from tests import factories
from tests.net import running_portal

TOGETHER = 8


async def a_sent_assessment():
    supplier = await factories.supplier()
    contact = await factories.contact(supplier["id"])
    return await factories.sent_assessment(supplier["id"], contact["id"])


@pytest.fixture(scope="module")
def server():
    with running_portal(workers=2, PORTAL_LOG_LEVEL="WARNING") as base:
        yield base


async def test_concurrent_first_saves_make_one_answer_and_the_rest_see_it(server):
    sent, token = await a_sent_assessment()
    async with httpx.AsyncClient(base_url=server, timeout=60) as http:
        responses = await asyncio.gather(*[
            http.put(f"/api/v1/respond/{token}/answers/legal_name",
                     json={"value": f"Meridian tab {i}"}) for i in range(TOGETHER)])
    codes = [r.status_code for r in responses]
    assert sorted(codes) == [200] + [409] * (TOGETHER - 1), [r.text for r in responses]
    rows = await Answer.select().where((Answer.assessment == sent["id"])
                                       & (Answer.question_id == "legal_name"))
    assert len(rows) == 1
    stored = rows[0]["value"]
    assert f"Meridian tab {codes.index(200)}" in str(stored)
    for refused in (r for r in responses if r.status_code == 409):
        body = refused.json()
        assert "another tab or person" in body["detail"]
        assert body["current"]["value"] in str(stored) and body["current_version"] == 1


async def test_saves_and_an_upload_racing_a_submit_never_land_after_it(server):
    sent, token = await a_sent_assessment()
    view = await factories.answered(token)
    kinds = {q["id"]: q["type"] for s in view["questionnaire"]["sections"] for q in s["questions"]}
    texts = [qid for qid in view["answers"] if kinds[qid] == "text"][:TOGETHER]
    assert len(texts) >= 3
    async with httpx.AsyncClient(base_url=server, timeout=60) as http:
        saves = [http.put(f"/api/v1/respond/{token}/answers/{qid}",
                          json={"value": f"Changed {qid}", "version": view["answers"][qid]["version"]})
                 for qid in texts]
        late_upload = http.post(f"/api/v1/respond/{token}/evidence",
                                data={"question_id": "cyber_essentials_certificate"},
                                files={"file": ("late.pdf", factories.PDF + b"%late", "application/pdf")})
        submit = http.post(f"/api/v1/respond/{token}/submit")
        *save_results, upload_result, submit_result = await asyncio.gather(
            *saves, late_upload, submit)
    assert submit_result.status_code == 200, submit_result.text
    assert {r.status_code for r in save_results} <= {200, 409}
    assert upload_result.status_code in (200, 201, 409), upload_result.text
    assessment = await Assessment.select().where(Assessment.id == sent["id"]).first()
    assert assessment["status"] == "submitted"
    for answer in await Answer.select().where(Answer.assessment == sent["id"]):
        assert answer["updated_at"] <= assessment["submitted_at"], answer["question_id"]
    for file in await EvidenceFile.select().where(EvidenceFile.assessment == sent["id"]):
        assert file["uploaded_at"] <= assessment["submitted_at"], file["filename"]
    # In the audit trail too, nothing is saved after the submission.
    events = await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.target_id == str(sent["id"])).order_by(AuditEvent.id)
    actions = [e["action"] for e in events]
    assert "answer.saved" not in actions[actions.index("assessment.submitted"):]
    accepted_saves = sum(r.status_code == 200 for r in save_results)
    assert actions.count("answer.saved") >= accepted_saves


async def test_two_decisions_at_once_one_wins(server, reviewer):
    supplier = await factories.supplier()
    contact = await factories.contact(supplier["id"])
    assessment, _ = await factories.submitted_assessment(supplier["id"], contact["id"])
    assessment_id = assessment["id"]
    async with httpx.AsyncClient(base_url=server, timeout=60, headers=reviewer) as http:
        results = await asyncio.gather(
            http.post(f"/api/v1/assessments/{assessment_id}/review",
                      json={"decision": "accept", "comment": "Fine"}),
            http.post(f"/api/v1/assessments/{assessment_id}/review",
                      json={"decision": "clarify", "comment": "Say more",
                            "question_ids": ["legal_name"]}),
            http.post(f"/api/v1/assessments/{assessment_id}/review",
                      json={"decision": "reject", "comment": "No"}))
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409, 409], [r.text for r in results]
    refused = [r.json()["detail"] for r in results if r.status_code == 409]
    assert all("_" not in message for message in refused), refused  # plain words
    final = (await Assessment.select(Assessment.status).where(Assessment.id == assessment_id)
             .first())["status"]
    winner = next(r for r in results if r.status_code == 200).json()["status"]
    assert final == winner


async def test_concurrent_first_settings_of_a_clause_make_one_row(server, reviewer):
    supplier = await factories.supplier()
    contract = await factories.contract(supplier["id"])
    async with httpx.AsyncClient(base_url=server, timeout=60, headers=reviewer) as http:
        results = await asyncio.gather(*[
            http.put(f"/api/v1/contracts/{contract['id']}/clauses/art28.subject_matter",
                     json={"status": "present" if i % 2 else "partial"}) for i in range(TOGETHER)])
    assert {r.status_code for r in results} <= {200, 409}, [r.text for r in results]
    assert any(r.status_code == 200 for r in results)
    rows = await ContractClause.select().where(
        (ContractClause.contract == contract["id"]) & (ContractClause.key == "art28.subject_matter"))
    assert len(rows) == 1


async def test_a_tab_opened_before_any_answer_does_not_replace_one_saved_since(client):
    sent, token = await a_sent_assessment()
    tab_b = await client.get(f"/respond/{token}/section/identity")
    csrf = re.search(r'name="csrf" value="([^"]+)"', tab_b.text).group(1)
    version_b = re.search(r'name="v_legal_name" value="([^"]*)"', tab_b.text).group(1)
    assert version_b == ""  # nothing answered when tab B opened
    tab_a = await client.put(f"/api/v1/respond/{token}/answers/legal_name",
                             json={"value": "Meridian Health Records Ltd"})
    assert tab_a.status_code == 200
    # The API without a version: 409 with the answer now stored.
    api_b = await client.put(f"/api/v1/respond/{token}/answers/legal_name",
                             json={"value": "Meridian (typed in tab B)"})
    assert api_b.status_code == 409
    assert api_b.json()["current"]["value"] == "Meridian Health Records Ltd"
    # The no-JavaScript form from tab B: the page says so and keeps what was typed.
    form_b = await client.post(f"/respond/{token}/section/identity", data={
        "csrf": csrf, "shown_legal_name": "1", "v_legal_name": version_b,
        "q_legal_name": "Meridian (typed in tab B)"}, follow_redirects=False)
    assert form_b.status_code == 400
    assert "answered elsewhere" in form_b.text and "Meridian (typed in tab B)" in form_b.text
    stored = await Answer.select(Answer.value).where(Answer.question_id == "legal_name").first()
    assert "Meridian Health Records Ltd" in str(stored["value"])


async def test_replies_fired_together_make_one_reply_per_query_and_a_resubmit_ends_them(server):
    """Eight replies to one query at once (two tabs, a double click): one row, every request
    answered 200 or, once the submit has landed, 409; none lost half-way, no 500."""
    from models.tables import ClarificationReply
    from portal.assessments import service

    supplier = await factories.supplier()
    contact = await factories.contact(supplier["id"])
    assessment, token = await factories.submitted_assessment(supplier["id"], contact["id"])
    await service.review_answer(assessment["id"], "mfa", decision="query", comment="Which?",
                                reviewer="Rita")
    await service.review(assessment["id"], decision="clarify", comment="Please clarify.",
                         question_ids=["mfa"], reviewer="Rita")
    async with httpx.AsyncClient(base_url=server, timeout=60) as http:
        replies = await asyncio.gather(*[
            http.put(f"/api/v1/respond/{token}/answers/mfa/reply", json={"reply": f"Reply {i}"})
            for i in range(TOGETHER)])
        assert [r.status_code for r in replies] == [200] * TOGETHER, [r.text for r in replies]
        rows = await ClarificationReply.select().where(
            ClarificationReply.assessment == assessment["id"])
        assert len(rows) == 1 and rows[0]["body"] in {f"Reply {i}" for i in range(TOGETHER)}
        assert rows[0]["version"] == TOGETHER  # each one a version, none overwritten unseen
        late = [http.put(f"/api/v1/respond/{token}/answers/mfa/reply",
                         json={"reply": f"Late {i}"}) for i in range(TOGETHER - 1)]
        results = await asyncio.gather(http.post(f"/api/v1/respond/{token}/submit"), *late)
    assert results[0].status_code == 200, results[0].text
    assert {r.status_code for r in results[1:]} <= {200, 409}
    events = await AuditEvent.select(AuditEvent.after).where(
        AuditEvent.action == "answer.replied")
    assert len(events) == TOGETHER + sum(r.status_code == 200 for r in results[1:])
