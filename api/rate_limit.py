"""Limits on repeated misses (e.g. unknown tracking codes) per client, behind a small Protocol.

The in-memory limiter serves one process; a shared store (Redis) can stand in for it when
several API processes serve the same customers.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from datetime import datetime
from typing import Protocol


class MissLimiter(Protocol):
    def blocked_for_s(self, key: str, now: datetime) -> int | None:
        """Seconds until `key` may try again, or None when it may now."""

    def record_miss(self, key: str, now: datetime) -> None: ...


class InMemoryMissLimiter:
    """At most `allowed` misses per key within a sliding window of `window_s` seconds."""

    def __init__(self, *, allowed: int, window_s: int, max_keys: int = 100_000) -> None:
        self.allowed = allowed
        self.window_s = window_s
        self.max_keys = max_keys
        self._misses: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked_for_s(self, key: str, now: datetime) -> int | None:
        with self._lock:
            misses = self._recent(key, now.timestamp())
            if len(misses) < self.allowed:
                return None
            return max(1, math.ceil(misses[0] + self.window_s - now.timestamp()))

    def record_miss(self, key: str, now: datetime) -> None:
        with self._lock:
            if key not in self._misses and len(self._misses) >= self.max_keys:
                # Forget the oldest client rather than grow without bound.
                self._misses.pop(next(iter(self._misses)))
            self._misses.setdefault(key, deque()).append(now.timestamp())
            self._recent(key, now.timestamp())

    def _recent(self, key: str, now_s: float) -> deque[float]:
        misses = self._misses.get(key, deque())
        while misses and misses[0] <= now_s - self.window_s:
            misses.popleft()
        if not misses:
            self._misses.pop(key, None)
        return misses
