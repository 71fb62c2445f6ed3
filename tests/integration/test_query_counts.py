"""Query-count baselines for the pages and endpoints that list things (NetBox's habit): the
number of SQL statements is pinned, and it must not grow with the number of rows shown.

If a change really needs another statement, update the baseline in the same commit and
say why there."""

from __future__ import annotations

from tests import factories
from tests.integration.journeys import sign_in
from tests.querycount import queries

BASELINE = {
    "staff supplier list": 6,
    "api supplier list": 4,
    "supplier page": 24,  # + the accepted questionnaires whose answers it shows, sub-processors;
    # reused assessments, sub-processor notices and the notice link (one query each)
    "dashboard": 13,  # open sub-processor notices: one query
}


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
