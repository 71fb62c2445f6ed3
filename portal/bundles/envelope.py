"""The bundle envelope: DSSE (Dead Simple Signing Envelope, in-toto/secure-systems-lab) with
Ed25519 over the pre-authentication encoding. Plain Python over `cryptography`; no tables.

DSSE was chosen over JWS because it is a few lines of standard, well-specified encoding: the
signature covers the payload type and the exact payload bytes (no header negotiation, no
"alg" field an attacker could change), and `cryptography` already does the Ed25519.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PAYLOAD_TYPE = "application/vnd.nhs-supplier-portal.answer-bundle+json"


class EnvelopeError(ValueError):
    """A bundle file that is not a well-formed envelope (malformed)."""


class SignatureInvalid(ValueError):
    """The signature does not match the payload (tampered)."""


def canonical_json(value: Any) -> bytes:
    """The bytes we sign: keys sorted, no spaces, UTF-8, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def fingerprint(raw_public_key: bytes) -> str:
    """SHA-256 of the raw 32-byte public key, hex."""
    return hashlib.sha256(raw_public_key).hexdigest()


def key_id(raw_public_key: bytes) -> str:
    """The first 16 hex digits of the fingerprint: short enough to read out, long enough."""
    return fingerprint(raw_public_key)[:16]


def format_fingerprint(value: str) -> str:
    """In groups of four for a person to compare ('3f2a 9c01 ...')."""
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4))


def normalise_fingerprint(value: str) -> str:
    return "".join(ch for ch in value.lower() if ch in "0123456789abcdef")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise EnvelopeError(f"{what} is not base64 text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise EnvelopeError(f"{what} is not valid base64") from None


def parse_public_key(text: str) -> bytes:
    """A public key pasted by a person: base64 of the raw 32 bytes, or a PEM block."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = load_pem_public_key(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise EnvelopeError("the PEM block is not a public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise EnvelopeError("the key is not an Ed25519 key")
        return public_key_bytes(key)
    raw = unb64(text, "the public key")
    if len(raw) != 32:
        raise EnvelopeError("an Ed25519 public key is 32 bytes (44 characters of base64)")
    return raw


def sign(payload: Any, private_key: Ed25519PrivateKey) -> dict[str, Any]:
    body = canonical_json(payload)
    raw = public_key_bytes(private_key.public_key())
    return {"payloadType": PAYLOAD_TYPE, "payload": b64(body),
            "signatures": [{"keyid": key_id(raw), "sig": b64(private_key.sign(pae(PAYLOAD_TYPE, body)))}]}


@dataclass(frozen=True)
class Opened:
    key_id: str
    signature: bytes
    body: bytes

    def payload(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise EnvelopeError("the payload is not JSON") from None
        if not isinstance(value, dict):
            raise EnvelopeError("the payload is not a JSON object")
        return value


def open_envelope(envelope: Any) -> Opened:
    """Check the envelope's shape (not yet the signature: that needs the issuer's key)."""
    if not isinstance(envelope, dict):
        raise EnvelopeError("the file is not a JSON object")
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        raise EnvelopeError(f"payloadType is not {PAYLOAD_TYPE}")
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or len(signatures) != 1 or not isinstance(signatures[0], dict):
        raise EnvelopeError("the envelope must carry exactly one signature")
    kid = signatures[0].get("keyid")
    if not isinstance(kid, str) or not kid:
        raise EnvelopeError("the signature has no keyid")
    return Opened(key_id=kid, signature=unb64(signatures[0].get("sig"), "the signature"),
                  body=unb64(envelope.get("payload"), "the payload"))


def verify(opened: Opened, raw_public_key: bytes) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(raw_public_key).verify(
            opened.signature, pae(PAYLOAD_TYPE, opened.body))
    except (InvalidSignature, ValueError):
        raise SignatureInvalid("the signature does not match the bundle") from None
