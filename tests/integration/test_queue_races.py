"""Work-queue races against a real server with two worker processes (PostgreSQL with
PORTAL_TEST_DATABASE_URL, else SQLite): submissions arriving together are still shared out
evenly, and "accept all compliant answers" pressed twice at once accepts each answer once."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from models.tables import AnswerReview, Assessment, Organisation
from portal.assessments import service as assessments
from portal.core import staff
from tests import factories
from tests.integration.conftest import staff_session
from tests.net import running_portal

TOGETHER = 8


@pytest.fixture(scope="module")
def server():
    with running_portal(workers=2, PORTAL_LOG_LEVEL="WARNING") as base:
        yield base


async def an_answered_assessment() -> tuple[dict, str]:
    supplier = await factories.supplier()
    contact = await factories.contact(supplier["id"])
    sent, token = await factories.sent_assessment(supplier["id"], contact["id"])
    await factories.answered(token)
    return sent, token


async def test_submissions_at_once_are_shared_out_evenly(server):
    await Organisation.insert(Organisation(name="Royal County Hospital NHS Trust"))
    rita = await staff.create_user(username="rita", password="a sensible long password",
                                   role="reviewer", email="rita@trust.example")
    sam = await staff.create_user(username="sam", password="a sensible long password",
                                  role="reviewer", email="sam@trust.example")
    made = [await an_answered_assessment() for _ in range(TOGETHER)]
    async with httpx.AsyncClient(base_url=server, timeout=120) as http:
        responses = await asyncio.gather(*[http.post(f"/api/v1/respond/{token}/submit")
                                           for _, token in made])
    assert [r.status_code for r in responses] == [200] * TOGETHER, [r.text for r in responses]
    rows = await Assessment.select(Assessment.assigned_to).where(
        Assessment.id.is_in([sent["id"] for sent, _ in made]))
    # Read-then-write without the lock lets both workers pick the same idle reviewer.
    assert Counter(r["assigned_to"] for r in rows) == {rita: TOGETHER // 2, sam: TOGETHER // 2}


async def test_accept_all_compliant_pressed_twice_at_once_accepts_each_answer_once(server):
    sent, token = await an_answered_assessment()
    await assessments.submit(token)
    view = await assessments.staff_view(sent["id"])
    chosen = [q["question_id"] for q in assessments.compliant_undecided(view)]
    assert len(chosen) > 5
    session = await staff_session("reviewer", username="racer")
    cookies = {"id": session, "portal_csrf": "race-csrf-token"}
    form = {"csrf": "race-csrf-token", "question_ids": chosen}
    async with httpx.AsyncClient(base_url=server, timeout=120, cookies=cookies) as http:
        responses = await asyncio.gather(*[
            http.post(f"/staff/assessments/{sent['id']}/accept-compliant", data=form)
            for _ in range(4)])
    assert [r.status_code for r in responses] == [303] * 4, [r.text[:300] for r in responses]
    counts = sorted(int(r.headers["location"].rsplit("n=", 1)[1]) for r in responses)
    assert counts == [0, 0, 0, len(chosen)]
    reviews = await AnswerReview.select(AnswerReview.question_id).where(
        (AnswerReview.assessment == sent["id"]) & (AnswerReview.decision == "accepted"))
    assert sorted(r["question_id"] for r in reviews) == sorted(chosen)
