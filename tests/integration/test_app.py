"""The running portal: health, documentation, back office, authentication, errors."""

from __future__ import annotations

import pytest

from portal.core import db as portal_db
from tests.integration.conftest import SUPPLIER, staff_session


async def test_health_checks_the_database(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response.headers["x-request-id"]


async def test_health_is_503_when_the_database_does_not_answer(client, monkeypatch):
    async def broken() -> None:
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr("portal.core.health.ping", broken)
    response = await client.get("/health")
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert portal_db.ping is not broken


async def test_openapi_documents_the_register(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/v1/suppliers", "/api/v1/suppliers/{supplier_id}", "/api/v1/contracts",
                 "/api/v1/certifications", "/api/v1/suppliers/{supplier_id}/contacts"]:
        assert path in paths
    page = await client.get("/schema")
    assert page.status_code == 200
    assert "/static/vendor/swagger/swagger-ui-bundle.js" in page.text  # served here
    assert "https://" not in page.text.split("<body>")[0]  # nothing from a CDN
    asset = await client.get("/static/vendor/swagger/swagger-ui-bundle.js")
    assert asset.status_code == 200


async def test_back_office_is_mounted(client):
    from tests.integration.conftest import staff_session

    anonymous = await client.get("/admin/")
    assert anonymous.status_code == 303  # one sign-in: the workspace's
    assert anonymous.headers["location"] == "/staff/login?next=/admin/"
    client.cookies.set("id", await staff_session("auditor"))
    response = await client.get("/admin/")
    assert response.status_code == 200
    assert "<html" in response.text.lower()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nonsense"},
                                     {"Authorization": "Basic dXNlcjpwYXNz"}])
async def test_api_needs_a_token_or_session(client, headers):
    response = await client.get("/api/v1/suppliers", headers=headers)
    assert response.status_code == 401
    assert "token" in response.json()["detail"]


async def test_auditor_reads_but_cannot_write(client, auditor):
    assert (await client.get("/api/v1/suppliers", headers=auditor)).status_code == 200
    response = await client.post("/api/v1/suppliers", json=SUPPLIER, headers=auditor)
    assert response.status_code == 403
    assert "auditor" in response.json()["detail"]


async def test_revoked_and_expired_tokens_are_refused(client):
    import datetime as dt

    from models.tables import ApiToken
    from portal.core import staff

    revoked = await staff.create_token(name="old", role="admin")
    await staff.revoke_token(token_id=revoked.id)
    expired = await staff.create_token(name="expired", role="admin", expires_in_days=1)
    await ApiToken.update({ApiToken.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(days=1)}) \
        .where(ApiToken.id == expired.id)
    for issued in (revoked, expired):
        response = await client.get("/api/v1/suppliers",
                                    headers={"Authorization": f"Bearer {issued.token}"})
        assert response.status_code == 401


async def test_tokens_are_stored_only_as_hashes():
    from models.tables import ApiToken
    from portal.core import staff

    issued = await staff.create_token(name="sync", role="procurement")
    stored = await ApiToken.select().where(ApiToken.id == issued.id).first()
    assert issued.token not in str(stored)
    assert len(stored["token_hash"]) == 64


async def test_back_office_session_reads_the_api_but_cannot_write_through_it(client):
    """Another site can make a signed-in browser send its cookie, so the cookie only reads."""
    from models.tables import Supplier

    token = await staff_session("procurement")
    client.cookies.set("id", token)
    assert (await client.get("/api/v1/suppliers")).status_code == 200
    response = await client.post("/api/v1/suppliers", json=SUPPLIER)
    assert response.status_code == 403 and "API token" in response.json()["detail"]
    assert await Supplier.count() == 0
    client.cookies.clear()


async def test_unknown_route_is_a_json_404(client):
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


async def test_an_unexpected_error_never_shows_a_stack_trace(client, procurement, monkeypatch):
    async def explode(*args, **kwargs):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr("portal.suppliers.service.list_suppliers", explode)
    response = await client.get("/api/v1/suppliers", headers=procurement)
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert response.json()["detail"].startswith("Something went wrong")


async def test_lost_database_connection_is_503_with_retry_after(client, procurement, monkeypatch):
    async def lost(*args, **kwargs):
        raise ConnectionResetError("connection lost")

    monkeypatch.setattr("portal.suppliers.service.list_suppliers", lost)
    response = await client.get("/api/v1/suppliers", headers=procurement)
    assert response.status_code == 503
    assert response.headers["retry-after"]


async def test_guessing_api_tokens_is_slowed_but_a_real_token_still_works(client, procurement):
    wrong = {"Authorization": "Bearer spt_not-a-real-token"}
    codes = [(await client.get("/api/v1/suppliers", headers=wrong)).status_code for _ in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429
    assert (await client.get("/api/v1/suppliers", headers=procurement)).status_code == 200
