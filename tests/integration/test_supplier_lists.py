"""The supplier list as people work with it: sortable headers, page size, filters by contract
end, certificate expiry and owner, every-word search, saved filters; the API list through the
same service; bad parameters are a 400 in words."""

from __future__ import annotations

import datetime as dt
import re

from piccolo.apps.user.tables import BaseUser

from models.tables import AuditEvent, SavedFilter
from portal.core import staff
from portal.suppliers import service
from tests import factories
from tests.integration.journeys import PASSWORD, csrf_of, sign_in
from tests.querycount import queries

TODAY = dt.date.today()


def names(page) -> list[str]:
    return re.findall(r'<a href="/staff/suppliers/\d+">([^<]+)</a>', page.text)


async def a_register() -> dict[str, dict]:
    made = {}
    for name, legal, ends, product, cert_days in (
            ("Alpha Records", "Alpha Records Ltd", 400, "Patient portal", 300),
            ("Beta Pathology", "Beta Diagnostics Ltd", 40, "Pathology results", 20),
            ("Gamma Couriers", "Gamma Logistics plc", 900, "Specimen transport", None)):
        supplier = await factories.supplier(name=name, legal_name=legal)
        await factories.contract(supplier["id"], end_date=TODAY + dt.timedelta(days=ends),
                                 products_services=[product])
        if cert_days is not None:
            await factories.certification(
                supplier["id"], scheme="iso27001", edition="2022",
                issued_on=TODAY - dt.timedelta(days=100),
                expires_on=TODAY + dt.timedelta(days=cert_days))
        made[name] = supplier
    return made


async def test_sortable_headers_are_links_with_aria_sort(client):
    await a_register()
    await sign_in(client, "auditor")
    page = await client.get("/staff/suppliers")
    assert names(page) == ["Alpha Records", "Beta Pathology", "Gamma Couriers"]
    assert '<th scope="col" aria-sort="ascending"><a class="portal-sort-link" ' \
           'href="/staff/suppliers?sort=-name">' in page.text
    by_end = await client.get("/staff/suppliers?sort=contract_end")
    assert names(by_end) == ["Beta Pathology", "Alpha Records", "Gamma Couriers"]
    assert 'aria-sort="ascending"><a class="portal-sort-link" href="/staff/suppliers?sort=-contract_end"' \
        in by_end.text
    assert (TODAY + dt.timedelta(days=40)).strftime("%-d %b %Y") in by_end.text
    latest = await client.get("/staff/suppliers?sort=-contract_end")
    assert names(latest) == ["Gamma Couriers", "Alpha Records", "Beta Pathology"]
    assert 'aria-sort="descending"' in latest.text
    by_cert = await client.get("/staff/suppliers?sort=cert_expiry")
    assert names(by_cert) == ["Beta Pathology", "Alpha Records", "Gamma Couriers"]  # none last
    by_cert_desc = await client.get("/staff/suppliers?sort=-cert_expiry")
    assert names(by_cert_desc) == ["Alpha Records", "Beta Pathology", "Gamma Couriers"]
    for key in ("tier", "-tier", "rating", "-rating", "score", "-name"):
        assert (await client.get(f"/staff/suppliers?sort={key}")).status_code == 200


async def test_search_matches_every_word_across_name_legal_name_and_products(client):
    await a_register()
    await sign_in(client, "auditor")
    assert names(await client.get("/staff/suppliers?q=beta+results")) == ["Beta Pathology"]
    assert names(await client.get("/staff/suppliers?q=diagnostics")) == ["Beta Pathology"]
    assert names(await client.get("/staff/suppliers?q=specimen+GAMMA")) == ["Gamma Couriers"]
    assert names(await client.get("/staff/suppliers?q=alpha+pathology")) == []
    assert names(await client.get("/staff/suppliers?q=%25_")) == [
        "Alpha Records", "Beta Pathology", "Gamma Couriers"]  # wildcards are not searched


async def test_filters_by_contract_end_certificate_expiry_and_owner(client):
    made = await a_register()
    await sign_in(client, "procurement")
    me = (await BaseUser.select(BaseUser.id).where(BaseUser.username == "procurement1")
          .first())["id"]
    other = await staff.create_user(username="olive", password=PASSWORD, role="procurement")
    from portal.suppliers import service
    from portal.suppliers.schemas import SupplierPatch

    await service.update_supplier(made["Alpha Records"]["id"], SupplierPatch(owner_id=me))
    await service.update_supplier(made["Gamma Couriers"]["id"], SupplierPatch(owner_id=other))
    window = (f"contract_end_from={(TODAY + dt.timedelta(days=30)).isoformat()}"
              f"&contract_end_to={(TODAY + dt.timedelta(days=500)).isoformat()}")
    assert names(await client.get(f"/staff/suppliers?{window}")) == ["Alpha Records",
                                                                      "Beta Pathology"]
    soon = (TODAY + dt.timedelta(days=60)).isoformat()
    assert names(await client.get(f"/staff/suppliers?cert_expiry_before={soon}")) == [
        "Beta Pathology"]
    assert names(await client.get("/staff/suppliers?owner=me")) == ["Alpha Records"]
    assert names(await client.get("/staff/suppliers?owner=none")) == ["Beta Pathology"]
    mine = await client.get(f"/staff/suppliers?owner={other}")
    assert names(mine) == ["Gamma Couriers"] and ">olive</td>" in mine.text.replace(
        '<span class="nhsuk-table-responsive__heading" aria-hidden="true">Owner </span>', "")
    events = await AuditEvent.select(AuditEvent.after).where(
        AuditEvent.action == "supplier.updated")
    assert any("owner" in str(e["after"]) for e in events)


async def test_page_size_and_paging(client):
    for n in range(27):
        await factories.supplier(name=f"Supplier {n:02d}")
    await sign_in(client, "auditor")
    first = await client.get("/staff/suppliers?per_page=25")
    assert len(names(first)) == 25 and "Page 1 of 2" in first.text
    assert 'href="/staff/suppliers?per_page=25&amp;page=2"' in first.text
    second = await client.get("/staff/suppliers?per_page=25&page=2")
    assert names(second) == ["Supplier 25", "Supplier 26"]
    assert len(names(await client.get("/staff/suppliers?per_page=100"))) == 27


async def test_bad_list_parameters_are_a_400_in_words(client):
    await sign_in(client, "auditor")
    for query, words in (("sort=bogus", "Sort by name, tier"),
                         ("per_page=7", "25, 50 or 100"),
                         ("page=abc", "whole numbers"),
                         ("rating=bogus", "Choose a rating"),
                         ("contract_end_from=2027-02-30", "real date"),
                         ("contract_end_from=2027-03-01&contract_end_to=2027-01-01", "on or before"),
                         ("owner=someone", "Choose an owner"),
                         ("colour=red", "can't be filtered by that")):
        page = await client.get(f"/staff/suppliers?{query}")
        assert page.status_code == 400, query
        assert words in page.text.replace("&#39;", "'"), query
        assert "Traceback" not in page.text


async def test_saved_filters_are_per_person_saved_applied_and_deleted(client):
    await a_register()
    await sign_in(client, "reviewer")
    page = await client.get("/staff/suppliers?q=beta&sort=-score&per_page=25")
    assert 'id="save-filter"' in page.text
    saved = await client.post("/staff/suppliers/filters", data={
        "csrf": csrf_of(page), "name": "  Beta   work ", "query": "q=beta&sort=-score&per_page=25"})
    assert saved.status_code == 303
    row = await SavedFilter.select().first()
    assert row["name"] == "Beta work" and row["query"] == "q=beta&sort=-score&per_page=25"
    listed = await client.get("/staff/suppliers")
    assert 'href="/staff/suppliers?q=beta&amp;sort=-score&amp;per_page=25">Beta work</a>' \
        in listed.text
    # The same name again replaces it; a query the list wouldn't take is refused.
    await client.post("/staff/suppliers/filters", data={
        "csrf": csrf_of(listed), "name": "Beta work", "query": "q=beta"})
    assert [r["query"] for r in await SavedFilter.select()] == ["q=beta"]
    bad = await client.post("/staff/suppliers/filters", data={
        "csrf": csrf_of(listed), "name": "Broken", "query": "sort=nonsense"})
    assert bad.status_code == 400
    nameless = await client.post("/staff/suppliers/filters", data={
        "csrf": csrf_of(listed), "name": " ", "query": "q=beta"})
    assert nameless.status_code == 400 and "Give the filter a name" in nameless.text
    # Another person sees none of it and can't delete it.
    other = await staff.create_user(username="other", password=PASSWORD, role="auditor")
    from portal.suppliers import service

    assert await service.saved_filters(other) == []
    gone = await client.post(f"/staff/suppliers/filters/{row['id']}/delete",
                             data={"csrf": csrf_of(listed)})
    assert gone.status_code == 303 and await SavedFilter.count() == 0
    again = await client.post(f"/staff/suppliers/filters/{row['id']}/delete",
                              data={"csrf": csrf_of(listed)})
    assert again.status_code == 404
    actions = [e["action"] for e in await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.target_type == "saved_filter")]
    assert actions == ["saved_filter.saved", "saved_filter.saved", "saved_filter.deleted"]


async def test_filtered_list_with_saved_filters_keeps_its_query_count(client):
    await a_register()
    await sign_in(client, "procurement")
    from portal.suppliers import service

    me = (await BaseUser.select(BaseUser.id).where(BaseUser.username == "procurement1")
          .first())["id"]
    await service.save_filter(user_id=me, name="one", query="q=alpha")
    path = (f"/staff/suppliers?q=a+r&sort=contract_end&owner=none&cert_expiry_before="
            f"{(TODAY + dt.timedelta(days=999)).isoformat()}")

    async def count() -> int:
        await client.get(path)
        with queries() as recorded:
            assert (await client.get(path)).status_code == 200
        return recorded.count

    few = await count()
    for n in range(5):
        await factories.contract((await factories.supplier(name=f"Aria Records {n}"))["id"])
        await service.save_filter(user_id=me, name=f"more {n}", query="q=beta")
    assert few == await count() == 8  # the list's 7 + the organisation's name in the header


async def test_api_list_sorts_and_filters_through_the_same_service(client, procurement):
    made = await a_register()
    owner = await staff.create_user(username="olive", password=PASSWORD, role="procurement")
    beta = made["Beta Pathology"]
    patched = await client.patch(f"/api/v1/suppliers/{beta['id']}", headers=procurement,
                                 json={"owner_id": owner})
    assert patched.status_code == 200 and patched.json()["owner_id"] == owner
    listed = (await client.get("/api/v1/suppliers?sort=-contract_end", headers=procurement)).json()
    assert [s["name"] for s in listed["items"]] == ["Gamma Couriers", "Alpha Records",
                                                   "Beta Pathology"]
    by_owner = (await client.get(f"/api/v1/suppliers?owner_id={owner}", headers=procurement)).json()
    assert [s["name"] for s in by_owner["items"]] == ["Beta Pathology"]
    soon = (TODAY + dt.timedelta(days=60)).isoformat()
    expiring = (await client.get(f"/api/v1/suppliers?cert_expiry_before={soon}&q=pathology+results",
                                 headers=procurement)).json()
    assert expiring["total"] == 1
    refused = await client.patch(f"/api/v1/suppliers/{beta['id']}", headers=procurement,
                                 json={"owner_id": 999_999})
    assert refused.status_code == 400 and "active member of staff" in refused.text
    bad_sort = await client.get("/api/v1/suppliers?sort=colour", headers=procurement)
    assert bad_sort.status_code == 400


async def test_owner_is_chosen_on_the_supplier_edit_form(client):
    made = await a_register()
    await sign_in(client, "procurement")
    olive = await staff.create_user(username="olive", password=PASSWORD, role="procurement")
    alpha = made["Alpha Records"]
    form_page = await client.get(f"/staff/suppliers/{alpha['id']}/edit")
    assert f'<option value="{olive}">olive</option>' in form_page.text
    fields = dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', form_page.text))
    data = {k: v for k, v in fields.items() if k in (
        "csrf", "version", "name", "legal_name", "supplier_key", "companies_house_number",
        "ico_registration_number", "ods_code", "website", "notes")}
    data.update({"supplier_type": "it_service", "handles_personal_data": "yes",
                 "handles_patient_data": "no", "affects_care": "no", "owner_id": str(olive)})
    saved = await client.post(f"/staff/suppliers/{alpha['id']}/edit", data=data)
    assert saved.status_code == 303, saved.text
    from portal.suppliers import service

    assert (await service.get_supplier(alpha["id"]))["owner"] == olive
    data.update({"owner_id": "abc", "version": str(int(data["version"]) + 1)})
    refused = await client.post(f"/staff/suppliers/{alpha['id']}/edit", data=data)
    assert refused.status_code == 400 and "Choose the owner from the list" in refused.text


async def test_the_count_comes_with_the_page_and_alone_past_the_end():
    for n in range(3):
        await factories.supplier(name=f"Count Check {n}")
    rows, total = await service.list_suppliers(q="Count Check", limit=2, offset=0)
    assert [r["name"] for r in rows] == ["Count Check 0", "Count Check 1"] and total == 3
    assert "matching" not in rows[0]
    rows, total = await service.list_suppliers(q="Count Check", limit=2, offset=10)
    assert rows == [] and total == 3
    rows, total = await service.list_suppliers(q="No Such Supplier", limit=2, offset=0)
    assert rows == [] and total == 0
