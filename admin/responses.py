"""Small ASGI answers the back office's gate and writes give themselves."""

from __future__ import annotations

import json
from typing import Any


async def send_text(send, status: int, text: str, *, json_body: bool = True,
                    headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """piccolo-admin shows a plain-text error as it is (a JSON object it shows as raw JSON);
    our own API clients get {"detail": ...}, so plain text for the screens' own calls."""
    if json_body:
        body, kind = json.dumps({"detail": text}).encode(), b"application/json"
    else:
        body, kind = text.encode(), b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", kind), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


async def send_json(send, status: int, value: Any) -> None:
    body = json.dumps(value, default=str).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


async def redirect(send, location: bytes) -> None:
    await send({"type": "http.response.start", "status": 303, "headers": [
        (b"location", location), (b"content-length", b"0"), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": b""})
