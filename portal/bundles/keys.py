"""The organisation's signing key, kept in files (never in the database or a backup).

`<data dir>/signing-keys/active.pem` is the private key (mode 0600), generated at first use;
`PORTAL_SIGNING_KEY_FILE` names one kept elsewhere instead. Rotating moves the current key's
public half to `signing-keys/retired/<key id>.json` (the private half is deleted: a retired
key only ever verifies) and makes a new active key, so bundles signed before still verify.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from portal.bundles.envelope import b64, fingerprint, key_id, public_key_bytes
from portal.core.errors import Conflict
from portal.settings import get_settings


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    public_key: str  # base64 of the raw 32 bytes
    fingerprint: str
    status: str  # active or retired
    created_at: str
    retired_at: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"key_id": self.key_id, "algorithm": "Ed25519", "public_key": self.public_key,
                "fingerprint": self.fingerprint, "status": self.status,
                "created_at": self.created_at, "retired_at": self.retired_at}


def _directory() -> Path:
    return get_settings().data_path / "signing-keys"


def _active_file() -> Path:
    configured = get_settings().signing_key_file
    return configured.expanduser() if configured else _directory() / "active.pem"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def _write_new(path: Path) -> None:
    """Write a fresh key aside, then link it into place (fails if one is there): two workers
    starting together agree on one key, and nobody reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    draft = path.with_name(f".draft.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(draft)


def private_key() -> Ed25519PrivateKey:
    path = _active_file()
    if not path.exists():
        if get_settings().signing_key_file:
            raise FileNotFoundError(f"PORTAL_SIGNING_KEY_FILE {path} does not exist")
        _write_new(path)
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def _active() -> PublicKey:
    raw = public_key_bytes(private_key().public_key())
    created = dt.datetime.fromtimestamp(_active_file().stat().st_mtime, dt.UTC)
    return PublicKey(key_id=key_id(raw), public_key=b64(raw), fingerprint=fingerprint(raw),
                     status="active", created_at=_iso(created))


def _retired() -> list[PublicKey]:
    folder = _directory() / "retired"
    found = []
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        data = json.loads(path.read_text())
        found.append(PublicKey(**{**data, "status": "retired"}))
    return sorted(found, key=lambda k: k.retired_at or "", reverse=True)


def active_key() -> PublicKey:
    return _active()


def all_keys() -> list[PublicKey]:
    """The active key first, then every retired one (they still verify old bundles)."""
    return [_active(), *_retired()]


def public_key_for(kid: str) -> PublicKey | None:
    return next((k for k in all_keys() if k.key_id == kid), None)


def rotate() -> tuple[PublicKey, PublicKey]:
    """Retire the active key (its public half kept) and make a new one: (old, new)."""
    if get_settings().signing_key_file:
        raise Conflict("The signing key is given by PORTAL_SIGNING_KEY_FILE: replace that file "
                       "to rotate (and keep the old public key in signing-keys/retired).")
    old = _active()
    folder = _directory() / "retired"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    retired = PublicKey(key_id=old.key_id, public_key=old.public_key, fingerprint=old.fingerprint,
                        status="retired", created_at=old.created_at,
                        retired_at=_iso(dt.datetime.now(dt.UTC)))
    (folder / f"{old.key_id}.json").write_text(json.dumps(
        {k: v for k, v in retired.__dict__.items() if k != "status"}, indent=2))
    _active_file().unlink()
    return retired, _active()
