"""Query-count baselines for the pages and endpoints that list things (NetBox's habit): the
number of SQL statements is pinned, and it must not grow with the number of rows shown.

If a change really needs another statement, update the baseline in the same commit and
say why there."""

from __future__ import annotations

import time

from portal.assessments import service as assessments
from tests import factories
from tests.integration.journeys import csrf_of, sign_in, submitted_assessment
from tests.querycount import queries

# Every staff page reads the organisation's name once, for its header (+1 each).
BASELINE = {
    "staff supplier list": 8,  # the api list + next contract end / certificate expiry (one UNION), the owner list, your saved filters, the organisation's name in the header
    "api supplier list": 2,  # the token; the page with its scores (one join) and the count (a subquery)
    "supplier page": 25,  # + the accepted questionnaires whose answers it shows, sub-processors, the organisation's name;
    # reused assessments, sub-processor notices and the notice link (one query each)
    # open sub-processor notices, the organisation's name, the questionnaire queues; the
    # counts by rating and tier (one aggregate), the clause gaps (the flag each rescoring keeps,
    # summed by the same aggregate, and the first 15), the DSPT readiness and what expires soon
    # are kept per data version (the newest audit event, one indexed read, once a view): a
    # repeat view costs 9; after a write, + the aggregate, the first 15 gaps, the pack's
    # portfolio load and the attestations (see the test below), + the expiring certificates,
    # one aggregate for the contracts' three windows and the soonest ten.
    "dashboard": 9,
    "campaign page": 7,  # sign-in checks, the organisation's name, the campaign, its members (one join), chased
    "campaign list": 7,  # sign-in checks, the organisation's name, a page of campaigns, their members, the count
    "work queue": 8,  # sign-in checks, the organisation's name, mine, unassigned, replies, names
    "outbox": 7,  # sign-in checks, the organisation's name, then the page of mail and its count
    "review page": 17,  # sign-in checks, the organisation's name, the assessment, its answers, reviews, replies, evidence, the reviewers to assign to
}
# Writes differ by engine (SQLite has no row locks to take, PostgreSQL seals the audit chain
# apart and upserts differently): (SQLite, PostgreSQL).
WRITES = {
    "answer save": (5, 4),  # the link and its lock (one statement), the answer, its update, the audit event
    # + the full record read back for the audit trail (the pack's "as at" rebuilds from it);
    # + the sub-processor knock-out deriver (the register, its open risks) and reused assessments
    "review decision: clarify": (33, 32),  # reopen the answers asked about, the query, the email
    "review decision: accept": (35, 33),  # + the derivers: knock-out risks, certificates, score
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


async def test_the_outbox_does_not_grow_with_its_messages(client):
    supplier = (await a_portfolio(1, 0))[0]
    contact = await factories.contact(supplier["id"])
    await factories.sent_assessment(supplier["id"], contact["id"])
    await sign_in(client, "admin")
    few = await count(client, "/staff/outbox")
    for key in ("uk-gdpr-processor", "clinical-safety", "nhs-supplier-charter"):
        await factories.sent_assessment(supplier["id"], contact["id"], questionnaire=key)
    assert few == await count(client, "/staff/outbox?status=queued") == BASELINE["outbox"]


async def test_campaign_pages_do_not_grow_with_their_members(client):
    import datetime as dt

    from portal.assessments import campaigns

    async def campaign(key: str) -> int:
        made, _ = await campaigns.create(
            name=key, questionnaire="ndg10-supplier-due-diligence",
            rule=campaigns.filter_from({"skip_open": False}),
            due_date=dt.date.today() + dt.timedelta(days=20), request_key=key, created_by="t")
        await campaigns.send_batch(made)
        return made

    await a_portfolio(2, 0)
    small = await campaign("query-count-1")
    await sign_in(client, "auditor")
    few = (await count(client, f"/staff/campaigns/{small}"), await count(client, "/staff/campaigns"))
    await a_portfolio(6, 0)
    big = await campaign("query-count-2")
    many = (await count(client, f"/staff/campaigns/{big}"), await count(client, "/staff/campaigns"))
    assert few == many == (BASELINE["campaign page"], BASELINE["campaign list"])


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


async def test_the_work_queue_does_not_grow_with_what_waits(client):
    """A reviewer's queue costs the same for one submission or four, assigned or not."""
    supplier = (await a_portfolio(1, 0))[0]
    contact = await factories.contact(supplier["id"])
    await factories.submitted_assessment(supplier["id"], contact["id"])
    await sign_in(client, "reviewer")
    few = (await count(client, "/staff/queue"), await count(client, "/staff/queue?tab=unassigned"))
    for key in ("uk-gdpr-processor", "clinical-safety", "nhs-supplier-charter"):
        assessment, token = await factories.sent_assessment(supplier["id"], contact["id"],
                                                            questionnaire=key)
        await factories.answered(token)
        await assessments.submit(token)
    many = (await count(client, "/staff/queue"), await count(client, "/staff/queue?tab=unassigned"))
    # the first waits unassigned; the later ones went round robin to the signed-in reviewer
    shown = 0
    for tab in ("", "?tab=unassigned"):
        shown += (await client.get(f"/staff/queue{tab}")).text.count('href="/staff/assessments/')
    assert shown >= 4, shown
    assert few == many, (few, many)
    assert few[0] == BASELINE["work queue"], few


async def test_a_repeat_dashboard_view_reuses_the_readiness_and_a_write_refreshes_it(monkeypatch):
    """The readiness evaluation is cached per data version (the newest audit event): a repeat
    view doesn't evaluate the portfolio again, and any write (which writes an audit event)
    makes the next view evaluate afresh and show the change."""
    from portal.reports import evidence
    from portal.staff import dashboard

    calls = []
    original = evidence.evaluate

    async def counting(**kwargs):
        calls.append(kwargs)
        return await original(**kwargs)

    monkeypatch.setattr(evidence, "evaluate", counting)
    await a_portfolio(2, 1)
    with queries() as first:
        before = await dashboard.overview()
    with queries() as repeat:
        again = await dashboard.overview()
    assert len(calls) == 1
    assert again["readiness"] == before["readiness"]
    assert repeat.count < first.count - 10, f"{first}\n---\n{repeat}"
    await factories.supplier(name="Supplier with no contract yet")
    after = await dashboard.overview()
    assert len(calls) == 2
    assert after["readiness"] != before["readiness"]
    # the portfolio's counts are kept per version too, and move with the write
    assert (before["total"], again["total"], after["total"]) == (2, 2, 3)
    assert sum(after["tiers"].values()) == sum(before["tiers"].values()) + 1


async def test_the_register_csv_streams_in_pages_whose_statements_do_not_grow_with_rows(
        client, procurement, monkeypatch):
    """Each page of suppliers costs the same five reads (the page, its contacts, contracts,
    products and scores) whatever the number of rows; the rows come out in name order
    across pages, none lost or repeated at a page boundary."""
    import csv
    import io

    from portal.reports import service as reports

    async def statements() -> tuple[int, list[dict]]:
        with queries() as recorded:
            response = await client.get("/api/v1/reports/register.csv", headers=procurement)
        assert response.status_code == 200, response.text
        return recorded.count, list(csv.DictReader(io.StringIO(response.text)))

    await a_portfolio(2, 1)
    await statements()  # warm: the token's first use of the day is recorded once
    few, _ = await statements()
    await a_portfolio(8, 2)
    many, rows = await statements()
    assert many == few, "the register's statements grew with its rows"
    assert len(rows) == 10 and [r["name"] for r in rows] == sorted(r["name"] for r in rows)
    monkeypatch.setattr(reports, "REGISTER_CHUNK", 3)
    paged, paged_rows = await statements()
    assert paged_rows == rows
    assert paged == few + 5 * 3, "four pages of three or fewer, five reads each"


async def test_a_full_cache_keeps_what_this_view_just_computed(client):
    """The kept dashboard entries of older data versions make room; the ones this view has
    just computed stay, so a repeat view costs the baseline whatever came before it."""
    from portal.staff import dashboard

    await a_portfolio(2, 1)
    await sign_in(client, "auditor")
    dashboard._EVALUATIONS.clear()
    for n in range(dashboard._KEEP - 1):  # left by earlier views of other data versions
        dashboard._EVALUATIONS[((-1 - n, ""), "portfolio")] = (time.monotonic(), {})
    assert await count(client, "/staff/") == BASELINE["dashboard"]  # (its warm view first)
