"""Derived data kept current by one mechanism, in the same transaction as the change.

Every audited write names the supplier it touched (`audit.record` calls `touch`); when the
outermost write transaction is about to commit, each registered deriver runs once over the
suppliers touched in it. A supplier's stored score and tier are derived this way, whatever
the entry point (API, workspace, back office, import, CLI), so no write path can forget them.

`core` knows no domain: the scoring package registers its deriver when it is imported, and
the app and the CLI import it (see `portal/wiring.py`).
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

Deriver = Callable[[list[int]], Awaitable[object]]


@dataclass(frozen=True)
class _Registration:
    name: str
    derive: Deriver
    # audit actions that never move this deriver's output (answers being typed, reminders):
    # skipping them keeps the hot paths cheap; anything not listed counts, so a new kind of
    # write is derived rather than forgotten
    ignores: frozenset[str] = field(default_factory=frozenset)


@dataclass
class _Pending:
    touched: dict[str, set[int]] = field(default_factory=dict)


_derivers: dict[str, _Registration] = {}
_pending: contextvars.ContextVar[_Pending | None] = contextvars.ContextVar(
    "portal_pending_changes", default=None)


def register(name: str, derive: Deriver, *, ignores: Iterable[str] = ()) -> None:
    """Register (or replace, keeping its place) a deriver; idempotent, so importing twice is
    harmless. Derivers run in registration order, whatever order the writes came in: one
    whose output another reads (knock-out risks, read by the score) registers first."""
    _derivers[name] = _Registration(name, derive, frozenset(ignores))


def registered() -> list[str]:
    return sorted(_derivers)


def touch(supplier_id: int | None, *, action: str = "") -> None:
    """Note that this transaction changed something of `supplier_id`'s."""
    pending = _pending.get()
    if pending is None or supplier_id is None:
        return
    for registration in _derivers.values():
        if action not in registration.ignores:
            pending.touched.setdefault(registration.name, set()).add(int(supplier_id))


def begin() -> contextvars.Token[_Pending | None]:
    return _pending.set(_Pending())


def end(token: contextvars.Token[_Pending | None]) -> None:
    _pending.reset(token)


async def derive() -> None:
    """Run each deriver over what was touched; called by the outermost write transaction
    just before it commits. Writes the derivers make are not derived again."""
    pending = _pending.get()
    if pending is None or not pending.touched:
        return
    work, pending.touched = pending.touched, {}
    token = _pending.set(None)  # a deriver's own writes touch nothing
    try:
        for name, registration in list(_derivers.items()):  # registration order
            ids = work.get(name)
            if ids:
                await registration.derive(sorted(ids))
    finally:
        _pending.reset(token)
