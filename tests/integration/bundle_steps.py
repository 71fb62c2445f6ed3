"""Steps the bundle tests share: an accepted assessment to export, and a bundle re-signed as
another organisation's portal would sign it."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from portal.bundles import envelope
from tests import factories


async def _accepted(**supplier):
    s = await factories.supplier(companies_house_number="01234567", **supplier)
    c = await factories.contact(s["id"])
    a = await factories.accepted_assessment(s["id"], c["id"], check_answers=True)
    return s, a


def _payload(signed: dict) -> dict:
    return json.loads(base64.b64decode(signed["payload"]))


def _as_other(signed: dict, key: Ed25519PrivateKey, **changes) -> dict:
    """The bundle as the other organisation's portal would sign it."""
    payload = _payload(signed)
    raw = envelope.public_key_bytes(key.public_key())
    payload["issuer"] = {"name": "North Moor ICB", "ods_code": "QNM", "key_id": envelope.key_id(raw)}
    payload["bundle_id"] = hashlib.sha256(json.dumps(changes, sort_keys=True).encode()).hexdigest()[:32]
    for name, value in changes.items():
        payload[name] = value
    return envelope.sign(payload, key)
