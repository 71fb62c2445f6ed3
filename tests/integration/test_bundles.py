"""Signed answer bundles inside one portal: export, the published keys, the trust list and
every refusal on import. (Two real portals exchanging one: tests/integration/test_bundles_two_portals.py.)

Another organisation is played by re-signing our own export with a second key, as its
portal would sign it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.tables import AuditEvent, ReusedAssessment
from portal.bundles import envelope
from tests import factories
from tests.integration.bundle_steps import _accepted, _as_other, _payload


async def _trust(client, admin, key: Ed25519PrivateKey, *, confirm: bool = True):
    raw = envelope.public_key_bytes(key.public_key())
    body = {"organisation_name": "North Moor ICB", "ods_code": "QNM",
            "public_key": envelope.b64(raw),
            "fingerprint": envelope.format_fingerprint(envelope.fingerprint(raw))}
    response = await client.post("/api/v1/trusted-issuers", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


async def test_export_is_signed_by_a_published_key_and_holds_the_assessment(client, reviewer):
    supplier, assessment = await _accepted()
    response = await client.get(f"/api/v1/assessments/{assessment['id']}/bundle?files=true",
                                headers=reviewer)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    signed = response.json()
    published = (await client.get("/.well-known/portal-signing-keys.json")).json()
    active = published["keys"][0]
    assert active["status"] == "active"
    opened = envelope.open_envelope(signed)
    assert opened.key_id == active["key_id"]
    envelope.verify(opened, base64.b64decode(active["public_key"]))  # raises if not
    payload = _payload(signed)
    assert payload["format"] == "nhs-supplier-portal/answer-bundle" and payload["version"] == 1
    assert payload["supplier"]["companies_house_number"] == "01234567"
    assert payload["decision"]["outcome"] == "accepted"
    assert payload["definition"]["content_hash"] == hashlib.sha256(json.dumps(
        payload["definition"]["content"], sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert payload["answers"] and payload["evidence"]
    for item in payload["evidence"]:
        assert hashlib.sha256(base64.b64decode(item["content_base64"])).hexdigest() == item["sha256"]
    decided = dt.datetime.fromisoformat(payload["decision"]["decided_at"]).date()
    assert dt.date.fromisoformat(payload["expires_on"]).year == decided.year + 1
    without = (await client.get(f"/api/v1/assessments/{assessment['id']}/bundle",
                                headers=reviewer)).json()
    assert all("content_base64" not in e for e in _payload(without)["evidence"])
    assert _payload(without)["bundle_id"] == payload["bundle_id"]


async def test_only_an_accepted_assessment_has_a_bundle(client, reviewer):
    s = await factories.supplier()
    c = await factories.contact(s["id"])
    assessment, _ = await factories.submitted_assessment(s["id"], c["id"])
    response = await client.get(f"/api/v1/assessments/{assessment['id']}/bundle", headers=reviewer)
    assert response.status_code == 409
    assert "accepted" in response.json()["detail"]


async def test_import_verifies_stores_once_and_scores_as_reused(client, reviewer, credentials):
    admin = await credentials.headers("admin")
    supplier, assessment = await _accepted()
    ours = (await client.get(f"/api/v1/assessments/{assessment['id']}/bundle?files=true",
                             headers=reviewer)).json()
    # The receiving side: a second supplier record with the same company number, no assessment.
    await ReusedAssessment.delete(force=True)
    other = Ed25519PrivateKey.generate()
    await _trust(client, admin, other)
    target = await factories.supplier(name="Meridian (ours)", companies_house_number="07654321")
    signed = _as_other(ours, other, supplier={**_payload(ours)["supplier"],
                                              "companies_house_number": "07654321"})
    before = await _due_diligence(client, reviewer, target["id"])
    response = await client.post("/api/v1/bundles", content=json.dumps(signed), headers=reviewer)
    assert response.status_code == 201, response.text
    reused = response.json()
    assert reused["supplier_id"] == target["id"] and reused["created"] is True
    assert reused["provenance"].startswith("Accepted by North Moor ICB on ")
    assert envelope.key_id(envelope.public_key_bytes(other.public_key())) in reused["provenance"]
    assert all(f["included"] for f in reused["files"])
    after_dd = await _due_diligence(client, reviewer, target["id"])
    assert after_dd["points"] > before["points"]
    assert any("reused, accepted by North Moor ICB" in r for r in after_dd["reasons"])
    assert after_dd["records"][0]["type"] == "reused_assessment"
    # Reused answers count for less than our own review of the same answers.
    own_dd = await _due_diligence(client, reviewer, supplier["id"])
    assert 0 < after_dd["points"] < own_dd["points"]
    again = await client.post("/api/v1/bundles", content=json.dumps(signed), headers=reviewer)
    assert again.status_code == 200 and again.json()["id"] == reused["id"]
    assert await ReusedAssessment.count() == 1
    assert await AuditEvent.count().where(AuditEvent.action == "bundle.imported") == 1


async def _due_diligence(client, headers, supplier_id: int) -> dict:
    score = (await client.get(f"/api/v1/suppliers/{supplier_id}/score", headers=headers)).json()
    return next(c for c in score["criteria"] if c["key"] == "due_diligence")


async def _refusal(client, reviewer, document, status, reason):
    count = await ReusedAssessment.count()
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    response = await client.post("/api/v1/bundles", content=body, headers=reviewer)
    assert response.status_code == status, response.text
    assert response.json()["reason"] == reason
    assert await ReusedAssessment.count() == count
    return response.json()["detail"]


async def test_every_refusal_names_its_reason_and_stores_nothing(client, reviewer, credentials):
    admin = await credentials.headers("admin")
    supplier, assessment = await _accepted()
    ours = (await client.get(f"/api/v1/assessments/{assessment['id']}/bundle?files=true",
                             headers=reviewer)).json()
    other = Ed25519PrivateKey.generate()
    stranger = Ed25519PrivateKey.generate()
    await _trust(client, admin, other)
    good = _as_other(ours, other)

    assert "not a JSON bundle" in await _refusal(client, reviewer, b"{not json", 400, "malformed")
    await _refusal(client, reviewer, {"payloadType": "x"}, 400, "malformed")
    # one byte of the signed payload changed
    body = bytearray(base64.b64decode(good["payload"]))
    body[body.index(b'"comment":"') + 11] ^= 0x01
    tampered = {**good, "payload": base64.b64encode(bytes(body)).decode()}
    assert "changed since North Moor ICB signed it" in await _refusal(
        client, reviewer, tampered, 422, "tampered")
    assert "not on our trust list" in await _refusal(
        client, reviewer, _as_other(ours, stranger), 403, "untrusted")
    expired = _as_other(ours, other, expires_on=(dt.date.today() - dt.timedelta(days=1)).isoformat())
    assert "expired on" in await _refusal(client, reviewer, expired, 422, "expired")
    definition = _payload(ours)["definition"]
    changed = {**definition, "title": definition["title"] + " (edited)",
               "content": {**definition["content"], "title": definition["content"]["title"] + "!"}}
    await _refusal(client, reviewer, _as_other(ours, other, definition=changed), 422, "hash_mismatch")
    evidence = [dict(e) for e in _payload(ours)["evidence"]]
    evidence[0]["content_base64"] = base64.b64encode(b"another file").decode()
    assert "does not match its SHA-256" in await _refusal(
        client, reviewer, _as_other(ours, other, evidence=evidence), 422, "hash_mismatch")
    await _refusal(client, reviewer, _as_other(ours, other, version=2), 400, "malformed")
    nobody = _as_other(ours, other, supplier={"name": "Unknown Ltd", "companies_house_number": "99999999"})
    response = await client.post("/api/v1/bundles", content=json.dumps(nobody), headers=reviewer)
    assert response.status_code == 422 and response.json()["reason"] == "no_supplier"
    # revoked: the key stops being trusted
    issuer = (await client.get("/api/v1/trusted-issuers", headers=admin)).json()[0]
    assert (await client.post(f"/api/v1/trusted-issuers/{issuer['id']}/revoke",
                              headers=admin)).json()["status"] == "revoked"
    assert "revoked" in await _refusal(client, reviewer, good, 403, "untrusted")
    assert await ReusedAssessment.count() == 0


async def test_trusting_a_key_needs_its_fingerprint_and_an_admin(client, reviewer, credentials):
    admin = await credentials.headers("admin")
    raw = envelope.public_key_bytes(Ed25519PrivateKey.generate().public_key())
    body = {"organisation_name": "North Moor ICB", "public_key": envelope.b64(raw),
            "fingerprint": "0" * 64}
    wrong = await client.post("/api/v1/trusted-issuers", json=body, headers=admin)
    assert wrong.status_code == 400 and "does not match" in wrong.json()["detail"]
    assert (await client.get("/api/v1/trusted-issuers", headers=admin)).json() == []
    body["fingerprint"] = envelope.fingerprint(raw)
    assert (await client.post("/api/v1/trusted-issuers", json=body, headers=reviewer)).status_code == 403
    added = await client.post("/api/v1/trusted-issuers", json=body, headers=admin)
    assert added.status_code == 201 and added.json()["status"] == "trusted"
    assert await AuditEvent.count().where(AuditEvent.action.is_in(
        ["trust.key_added", "trust.key_confirmed"])) == 2
    again = await client.post("/api/v1/trusted-issuers", json=body, headers=admin)
    assert again.status_code == 409


async def test_workspace_trusts_by_fingerprint_imports_and_shows_provenance(client, reviewer):
    from tests.integration.journeys import csrf_of, sign_in

    supplier, assessment = await _accepted()
    ours = (await client.get(f"/api/v1/assessments/{assessment['id']}/bundle", headers=reviewer)).json()
    await sign_in(client, "admin")
    review = await client.get(f"/staff/assessments/{assessment['id']}")
    assert f'href="/api/v1/assessments/{assessment["id"]}/bundle"' in review.text
    page = await client.get("/staff/organisation")
    active = (await client.get("/.well-known/portal-signing-keys.json")).json()["keys"][0]
    assert envelope.format_fingerprint(active["fingerprint"]) in page.text
    other = Ed25519PrivateKey.generate()
    raw = envelope.public_key_bytes(other.public_key())
    added = await client.post("/staff/organisation/trusted", data={
        "csrf": csrf_of(page), "organisation_name": "North Moor ICB", "ods_code": "QNM",
        "public_key": envelope.b64(raw)})
    assert added.status_code == 303
    confirm = await client.get(added.headers["location"])
    assert envelope.format_fingerprint(envelope.fingerprint(raw)) in confirm.text
    wrong = await client.post(added.headers["location"], data={
        "csrf": csrf_of(confirm), "fingerprint": "ab" * 32})
    assert wrong.status_code == 400 and "does not match" in wrong.text
    assert 'value="' + "ab" * 32 + '"' in wrong.text  # what was typed is kept
    signed = _as_other(ours, other)
    # not yet confirmed: refused as untrusted, nothing stored
    refused = await client.post("/staff/bundles", data={"csrf": csrf_of(confirm)},
                                files={"bundle": ("b.json", json.dumps(signed).encode(), "application/json")})
    assert refused.status_code == 403 and "not been confirmed" in refused.text
    right = await client.post(added.headers["location"], data={
        "csrf": csrf_of(confirm), "fingerprint": envelope.format_fingerprint(envelope.fingerprint(raw))})
    assert right.status_code == 303
    imported = await client.post("/staff/bundles", data={"csrf": csrf_of(confirm)},
                                 files={"bundle": ("b.json", json.dumps(signed).encode(), "application/json")})
    assert imported.status_code == 303, imported.text
    reused = await client.get(imported.headers["location"])
    assert "Accepted by North Moor ICB on" in reused.text and envelope.key_id(raw) in reused.text
    shown = await client.get(f"/staff/suppliers/{supplier['id']}")
    assert "Accepted by North Moor ICB on" in shown.text
