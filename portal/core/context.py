"""Who is acting, in which request: read by the audit writer and bound into every log line."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """The person, token, supplier link or job behind a change."""

    kind: str  # staff, token, supplier or system
    name: str
    role: str | None = None
    user_id: int | None = None
    supplier_id: int | None = None

    @property
    def label(self) -> str:
        return self.name


SYSTEM = Actor(kind="system", name="system", role="admin")

_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("portal_actor", default=SYSTEM)
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("portal_request_id", default="")


def current_actor() -> Actor:
    return _actor.get()


def set_actor(actor: Actor) -> contextvars.Token[Actor]:
    return _actor.set(actor)


def reset_actor(token: contextvars.Token[Actor]) -> None:
    _actor.reset(token)


def current_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str) -> contextvars.Token[str]:
    return _request_id.set(value)
