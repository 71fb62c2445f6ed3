"""Limits on guessing: failed attempts per key in a sliding window.

Counted in the database, so every worker process (and every app server) sees the same
count; failures are rare, so one insert per failure costs nothing on the normal path.
"""

from __future__ import annotations

import datetime as dt

from models.tables import FailedAttempt

_KEEP = dt.timedelta(days=1)


class FailureLimit:
    def __init__(self, scope: str, limit: int, window_seconds: int) -> None:
        self.scope = scope
        self.limit = limit
        self.window = dt.timedelta(seconds=window_seconds)

    def _recent(self, key: str):
        since = dt.datetime.now(dt.UTC) - self.window
        return (FailedAttempt.scope == self.scope) & (FailedAttempt.key == key[:200]) \
            & (FailedAttempt.at > since)

    async def blocked(self, key: str) -> bool:
        return await FailedAttempt.count().where(self._recent(key)) >= self.limit

    async def hit(self, key: str) -> bool:
        """Count a failure; returns whether this one was over the limit."""
        recent = await FailedAttempt.count().where(self._recent(key))
        if recent > self.limit:
            return True  # already refused: a flood of failures adds no rows
        await FailedAttempt.insert(FailedAttempt(scope=self.scope, key=key[:200],
                                                 at=dt.datetime.now(dt.UTC)))
        return recent + 1 > self.limit

    async def reset(self) -> None:
        await FailedAttempt.delete().where(FailedAttempt.scope == self.scope)


async def prune() -> int:
    """Forget failures older than a day (run by `portal jobs run`)."""
    stale = FailedAttempt.at < dt.datetime.now(dt.UTC) - _KEEP
    count = await FailedAttempt.count().where(stale)
    await FailedAttempt.delete().where(stale)
    return count
