"""Query-count baselines for the pages and endpoints that list things (NetBox's habit): the
number of SQL statements is pinned, and it must not grow with the number of rows shown.

If a change really needs another statement, update the baseline in the same commit and
say why there."""

from __future__ import annotations

from tests import factories
from tests.integration.journeys import csrf_of, sign_in, submitted_assessment
from tests.querycount import queries

BASELINE = {
    "staff supplier list": 6,
    "api supplier list": 4,
    "supplier page": 21,  # + the accepted questionnaires whose answers it shows, sub-processors
    "dashboard": 10,  # counts by rating and tier in one aggregate; + DSPT statuses for expiry
    "review page": 15,
}
# Writes differ by engine (SQLite has no row locks to take, PostgreSQL seals the audit chain
# apart and upserts differently): (SQLite, PostgreSQL).
WRITES = {
    "answer save": (6, 5),  # link and lock, the answer, its update, the audit event
    "review decision: clarify": (29, 28),  # reopen the answers asked about, the query, the email
    "review decision: accept": (30, 28),  # + the derivers: knock-out risks, certificates, score
}


def write_baseline(name: str) -> int:
    from piccolo.engine.postgres import PostgresEngine

    from portal.core.db import engine

    return WRITES[name][isinstance(engine(), PostgresEngine)]


async def count(client, path: str, headers: dict | None = None) -> int:
    await client.get(path, headers=headers)  # warm: sessions, caches
    with queries() as recorded:
        response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return recorded.count


async def a_portfolio(suppliers: int, contracts_each: int) -> list[dict]:
    made = []
    for _ in range(suppliers):
        supplier = await factories.supplier()
        await factories.contact(supplier["id"])
        await factories.certification(supplier["id"])
        for _ in range(contracts_each):
            await factories.contract(supplier["id"])
        made.append(supplier)
    return made


async def test_supplier_lists_do_not_grow_with_their_rows(client, procurement):
    await a_portfolio(2, 1)
    await sign_in(client, "auditor")
    few = (await count(client, "/staff/suppliers"),
           await count(client, "/api/v1/suppliers", procurement))
    await a_portfolio(8, 2)
    many = (await count(client, "/staff/suppliers"),
            await count(client, "/api/v1/suppliers", procurement))
    assert few == many == (BASELINE["staff supplier list"], BASELINE["api supplier list"])


async def test_supplier_page_does_not_grow_with_its_contracts(client):
    supplier = (await a_portfolio(1, 1))[0]
    await sign_in(client, "auditor")
    one = await count(client, f"/staff/suppliers/{supplier['id']}")
    for _ in range(5):
        await factories.contract(supplier["id"])
    six = await count(client, f"/staff/suppliers/{supplier['id']}")
    assert one == six == BASELINE["supplier page"]


async def test_dashboard_does_not_grow_with_the_portfolio(client):
    await a_portfolio(2, 1)
    await sign_in(client, "auditor")
    few = await count(client, "/staff/")
    await a_portfolio(8, 2)
    assert few == await count(client, "/staff/") == BASELINE["dashboard"]


async def test_review_page_answer_save_and_decision_are_pinned(client, procurement):
    assessment_id, token, _ = await submitted_assessment(client, procurement)
    await sign_in(client, "reviewer")
    review = await count(client, f"/staff/assessments/{assessment_id}")
    page = await client.get(f"/staff/assessments/{assessment_id}")
    with queries() as decision:
        response = await client.post(f"/staff/assessments/{assessment_id}/decision",
                                     data={"csrf": csrf_of(page), "decision": "clarify",
                                           "question_ids": "mfa",
                                           "comment": "Name the systems without MFA."})
    assert response.status_code == 303, response.text
    view = (await client.get(f"/api/v1/respond/{token}")).json()
    url = f"/api/v1/respond/{token}/answers/mfa"
    with queries() as save:
        response = await client.put(url, json={"value": view["answers"]["mfa"]["value"],
                                               "comment": "All systems use MFA now.",
                                               "version": view["answers"]["mfa"]["version"]})
    assert response.status_code == 200, response.text
    assert (await client.post(f"/api/v1/respond/{token}/submit")).status_code == 200
    page = await client.get(f"/staff/assessments/{assessment_id}")
    with queries() as accept:
        response = await client.post(f"/staff/assessments/{assessment_id}/decision",
                                     data={"csrf": csrf_of(page), "decision": "accept",
                                           "comment": ""})
    assert response.status_code == 303, response.text
    assert (review, save.count, decision.count, accept.count) == (
        BASELINE["review page"], write_baseline("answer save"),
        write_baseline("review decision: clarify"), write_baseline("review decision: accept")), (
        str(save), str(decision), str(accept))
