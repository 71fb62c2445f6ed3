"""Counting the SQL statements a page or endpoint runs (NetBox's habit), so that an N+1
can't creep in unnoticed: every statement goes through the engine's run_querystring."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from portal.core.db import engine


@dataclass
class Recorded:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return f"{self.count} statements:\n" + "\n".join(s[:160] for s in self.statements)


@contextlib.contextmanager
def queries() -> Iterator[Recorded]:
    db = engine()
    recorded = Recorded()
    cls = type(db)  # PostgresEngine has __slots__: patch the class, count this engine's calls
    original = cls.run_querystring

    async def counting(self, querystring, in_pool: bool = False):
        if self is db:
            recorded.statements.append(str(querystring))
        return await original(self, querystring, in_pool=in_pool)

    cls.run_querystring = counting  # type: ignore[method-assign]
    try:
        yield recorded
    finally:
        cls.run_querystring = original  # type: ignore[method-assign]
