"""Limits on guessing: attempts per key in a sliding window.

Counted in the database, so every worker process (and every app server) sees the same
count. An attempt is written first and counted afterwards (insert, then count, then decide),
never counted and then written: however many requests arrive together, the last one whose
row committed sees every row before it, so at most ``limit`` of them are let through. A
request that is refused removes its own row again, so a flood of refusals adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from piccolo.query.functions.aggregate import Count

from models.tables import FailedAttempt

_KEEP = dt.timedelta(days=1)


@dataclass
class Attempt:
    """One counted attempt: ``count`` includes this one (and any running at the same time)."""

    limit: FailureLimit
    key: str
    row_id: int | None
    count: int

    @property
    def over(self) -> bool:
        return self.count > self.limit.limit

    async def forget(self) -> None:
        """Take this attempt back out of the count (it was refused, or it succeeded)."""
        if self.row_id is not None:
            await FailedAttempt.delete().where(FailedAttempt.id == self.row_id)
            self.row_id = None


class FailureLimit:
    def __init__(self, scope: str, limit: int, window_seconds: int) -> None:
        self.scope = scope
        self.limit = limit
        self.window = dt.timedelta(seconds=window_seconds)

    def _recent(self, key: str):
        since = dt.datetime.now(dt.UTC) - self.window
        return (FailedAttempt.scope == self.scope) & (FailedAttempt.key == key[:200]) \
            & (FailedAttempt.at > since)

    async def count(self, key: str) -> int:
        return await FailedAttempt.count().where(self._recent(key))

    async def attempt(self, key: str) -> Attempt:
        """Count an attempt before doing the expensive or revealing work it asks for.

        The row stays (a failure) unless the caller ``forget``s it: call that when the
        attempt is refused or succeeds.
        """
        rows = await FailedAttempt.insert(FailedAttempt(
            scope=self.scope, key=key[:200], at=dt.datetime.now(dt.UTC))).returning(
            FailedAttempt.id)
        row_id = rows[0]["id"] if rows else None
        return Attempt(limit=self, key=key, row_id=row_id, count=await self.count(key))

    async def hit(self, key: str) -> bool:
        """Count a failure that has happened; returns whether it was over the limit (then it
        is not kept, so a flood of failures adds no rows)."""
        attempt = await self.attempt(key)
        if attempt.over:
            await attempt.forget()
            return True
        return False

    async def reset(self) -> None:
        await FailedAttempt.delete().where(FailedAttempt.scope == self.scope)


async def attempts(*counted: tuple[FailureLimit, str]) -> tuple[Attempt, ...]:
    """Several attempts at once (say, per address and per username), counted together.

    Rows are written in the order given and then counted in one statement, which sees one
    snapshot; ``forget_all`` removes them in the reverse order. So of requests fired together,
    one that sees another's later row also sees its earlier one: a burst from one address
    at one username can never look, to any of its requests, like a single try from that
    address (counted one by one, the address could be read before the others had written).
    """
    now = dt.datetime.now(dt.UTC)
    row_ids: list[int | None] = []
    for limit, key in counted:
        rows = await FailedAttempt.insert(FailedAttempt(
            scope=limit.scope, key=key[:200], at=now)).returning(FailedAttempt.id)
        row_ids.append(rows[0]["id"] if rows else None)
    wanted = [limit._recent(key) for limit, key in counted]
    condition = wanted[0]
    for other in wanted[1:]:
        condition = condition | other
    rows = await FailedAttempt.select(FailedAttempt.scope, FailedAttempt.key, Count()).where(
        condition).group_by(FailedAttempt.scope, FailedAttempt.key)
    counts = {(row["scope"], row["key"]): row["count"] for row in rows}
    return tuple(Attempt(limit=limit, key=key, row_id=row_id,
                         count=counts.get((limit.scope, key[:200]), 0))
                 for (limit, key), row_id in zip(counted, row_ids, strict=True))


async def forget_all(counted: tuple[Attempt, ...]) -> None:
    for attempt in reversed(counted):
        await attempt.forget()


async def prune() -> int:
    """Forget failures older than a day (run by `portal jobs run`)."""
    stale = FailedAttempt.at < dt.datetime.now(dt.UTC) - _KEEP
    count = await FailedAttempt.count().where(stale)
    await FailedAttempt.delete().where(stale)
    return count
