"""Two real portals on loopback (own data dirs, SQLite files and signing keys) exchange a
signed answer bundle through their HTTP APIs: one sends, collects, accepts and exports; the
other trusts its key (by fingerprint), imports, shows the provenance and a changed score, and
refuses a bundle with one byte changed, an expired one, an untrusted one and a malformed one."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration.journeys import SUPPLIER, answer_everything, send, upload
from tests.net import running_portal


def _env(data_dir: Path) -> dict[str, str]:
    return {"PORTAL_DATA_DIR": str(data_dir), "PORTAL_ENV": "test",
            "PORTAL_DATABASE_URL": f"sqlite:///{data_dir / 'portal.sqlite3'}",
            "PORTAL_JOBS_INTERVAL_SECONDS": "0"}


def _cli(env: dict[str, str], *args: str) -> str:
    import os

    done = subprocess.run([sys.executable, "-m", "portal", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _prepare(data_dir: Path, organisation: str, ods: str) -> tuple[dict[str, str], dict[str, str]]:
    env = _env(data_dir)
    _cli(env, "migrate")
    with contextlib.closing(sqlite3.connect(data_dir / "portal.sqlite3")) as db:
        db.execute("INSERT INTO organisation (name, ods_code) VALUES (?, ?)", (organisation, ods))
        db.commit()
    token = _cli(env, "create-token", "--name", "exchange", "--role", "admin").strip().splitlines()[-1]
    return env, {"Authorization": f"Bearer {token}"}


def _payload(signed: dict) -> dict:
    return json.loads(base64.b64decode(signed["payload"]))


async def _collect_and_accept(client: httpx.AsyncClient, headers: dict) -> int:
    supplier = (await client.post("/api/v1/suppliers", json=SUPPLIER, headers=headers)).json()
    contact = (await client.post(f"/api/v1/suppliers/{supplier['id']}/contacts", headers=headers,
                                 json={"name": "Helen Carter", "email": "helen@meridian.example"})).json()
    sent, token = await send(client, headers, supplier, contact)
    evidence = (await upload(client, token, "cyber_essentials_certificate")).json()
    view = await answer_everything(client, token, evidence["id"])
    assert (await client.post(f"/api/v1/respond/{token}/submit")).status_code == 200
    for question_id in view["answers"]:
        response = await client.post(f"/api/v1/assessments/{sent['id']}/answers/{question_id}/review",
                                     json={"decision": "accepted"}, headers=headers)
        assert response.status_code == 200, response.text
    response = await client.post(f"/api/v1/assessments/{sent['id']}/review",
                                 json={"decision": "accept", "comment": "Good."}, headers=headers)
    assert response.status_code == 200, response.text
    return sent["id"]


async def test_two_portals_exchange_a_bundle_and_refuse_every_bad_one(tmp_path):
    sender_dir, receiver_dir = tmp_path / "sender", tmp_path / "receiver"
    sender_dir.mkdir()
    receiver_dir.mkdir()
    sender_env, sender_auth = _prepare(sender_dir, "North Moor ICB", "QNM")
    receiver_env, receiver_auth = _prepare(receiver_dir, "Riverside Community Trust", "RRC")
    with running_portal(**sender_env) as sender_url, running_portal(**receiver_env) as receiver_url:
        async with httpx.AsyncClient(base_url=sender_url, timeout=60) as sender, \
                httpx.AsyncClient(base_url=receiver_url, timeout=60) as receiver:
            # Separate keys, each published at the well-known address.
            sender_keys = (await sender.get("/.well-known/portal-signing-keys.json")).json()
            receiver_keys = (await receiver.get("/.well-known/portal-signing-keys.json")).json()
            key = sender_keys["keys"][0]
            assert sender_keys["organisation"] == "North Moor ICB"
            assert key["key_id"] != receiver_keys["keys"][0]["key_id"]

            assessment_id = await _collect_and_accept(sender, sender_auth)
            exported = await sender.get(f"/api/v1/assessments/{assessment_id}/bundle?files=true",
                                        headers=sender_auth)
            assert exported.status_code == 200, exported.text
            bundle = exported.content

            supplier = (await receiver.post("/api/v1/suppliers", json=SUPPLIER,
                                            headers=receiver_auth)).json()
            score_before = (await receiver.get(f"/api/v1/suppliers/{supplier['id']}/score",
                                               headers=receiver_auth)).json()

            async def refused(body: bytes, status: int, reason: str) -> str:
                response = await receiver.post("/api/v1/bundles", content=body, headers=receiver_auth)
                assert response.status_code == status, response.text
                assert response.json()["reason"] == reason
                return response.json()["detail"]

            # Not trusted yet.
            assert key["key_id"] in await refused(bundle, 403, "untrusted")
            # Trust the sender's key by the fingerprint it publishes (read out by a person).
            trusted = await receiver.post("/api/v1/trusted-issuers", headers=receiver_auth, json={
                "organisation_name": "North Moor ICB", "ods_code": "QNM",
                "public_key": key["public_key"], "fingerprint": key["fingerprint"]})
            assert trusted.status_code == 201, trusted.text

            # One byte of the signed payload changed.
            signed = json.loads(bundle)
            body = bytearray(base64.b64decode(signed["payload"]))
            body[body.index(b'"outcome":"accepted"') + 11] ^= 0x20
            tampered = {**signed, "payload": base64.b64encode(bytes(body)).decode()}
            await refused(json.dumps(tampered).encode(), 422, "tampered")
            # One byte changed in the file itself (the envelope no longer parses as a signature).
            flipped = bytearray(bundle)
            flipped[flipped.index(b'"sig"') + 10] ^= 0x01
            assert (await receiver.post("/api/v1/bundles", content=bytes(flipped),
                                        headers=receiver_auth)).status_code in (400, 422)
            await refused(b"not a bundle", 400, "malformed")
            assert (await receiver.get(f"/api/v1/suppliers/{supplier['id']}/score",
                                       headers=receiver_auth)).json()["score"] == score_before["score"]

            imported = await receiver.post("/api/v1/bundles", content=bundle, headers=receiver_auth)
            assert imported.status_code == 201, imported.text
            reused = imported.json()
            assert reused["provenance"].startswith("Accepted by North Moor ICB on ")
            assert reused["provenance"].endswith(f"verified signature {key['key_id']}")
            assert reused["files"] and all(f["included"] for f in reused["files"])
            again = await receiver.post("/api/v1/bundles", content=bundle, headers=receiver_auth)
            assert again.status_code == 200 and again.json()["id"] == reused["id"]
            score_after = (await receiver.get(f"/api/v1/suppliers/{supplier['id']}/score",
                                              headers=receiver_auth)).json()
            dd = lambda s: next(c for c in s["criteria"] if c["key"] == "due_diligence")  # noqa: E731
            assert dd(score_after)["points"] > dd(score_before)["points"]
            assert any("reused, accepted by North Moor ICB" in r for r in dd(score_after)["reasons"])

            # The sender rotates its key: the bundle signed before still verifies (its old key
            # is still published and still trusted); a new bundle is signed by an untrusted key.
            _cli(sender_env, "signing-key", "rotate")
            published = (await sender.get("/.well-known/portal-signing-keys.json")).json()["keys"]
            assert [k["status"] for k in published] == ["active", "retired"]
            assert published[1]["key_id"] == key["key_id"]
            newer = await sender.get(f"/api/v1/assessments/{assessment_id}/bundle",
                                     headers=sender_auth)
            assert published[0]["key_id"] in await refused(newer.content, 403, "untrusted")

        # Expired: the receiver a year and more later (time moved, not waited for).
        expiry = dt.date.fromisoformat(_payload(json.loads(bundle))["expires_on"])
        assert expiry > dt.date.today()
    from portal.bundles import service

    with pytest.raises(service.BundleRefused) as caught:
        await _verify_elsewhere(receiver_dir, json.loads(bundle), expiry + dt.timedelta(days=1))
    assert caught.value.extra["reason"] == "expired"


async def _verify_elsewhere(data_dir: Path, document: dict, today: dt.date):
    """The receiver's own verification, against its database, on a later day."""
    from piccolo.engine.sqlite import SQLiteEngine

    from models.tables import TrustedIssuer
    from portal.bundles import service

    engine = SQLiteEngine(path=str(data_dir / "portal.sqlite3"))
    original = TrustedIssuer._meta.db
    TrustedIssuer._meta.db = engine
    try:
        return await service.verify(document, today=today)
    finally:
        TrustedIssuer._meta.db = original
