"""A small sliding-window limiter for guessing attempts (per process; see README)."""

from __future__ import annotations

import time
from collections import defaultdict, deque


class SlidingWindow:
    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def _trim(self, key: str, now: float) -> deque[float]:
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def blocked(self, key: str) -> bool:
        return len(self._trim(key, time.monotonic())) >= self.limit

    def hit(self, key: str) -> None:
        now = time.monotonic()
        self._trim(key, now).append(now)
        if len(self._hits) > 50_000:  # keep memory bounded under a spray of addresses
            for stale in [k for k, v in self._hits.items() if not v][:10_000]:
                del self._hits[stale]

    def reset(self) -> None:
        self._hits.clear()
