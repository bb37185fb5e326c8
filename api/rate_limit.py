"""Limits on repeated misses (e.g. unknown tracking codes) per client, behind a small Protocol.

The in-memory limiter serves one process; the Redis limiter shares the counts between the API
processes that serve the same customers.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from datetime import datetime
from typing import Protocol

import redis

from infra.outage import OutageLog
from infra.redis_client import make_redis
from infra.settings import Settings

log = logging.getLogger(__name__)


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


class RedisMissLimiter:
    """At most `allowed` misses per key within `window_s` seconds of its first miss, counted in
    Redis (INCR, and EXPIRE on the first), so a client cannot spread its guesses over several
    API processes. The window runs on Redis's clock, not `now`.

    While Redis fails, `fallback` counts this process's misses: the limit then holds per
    process, as in the embedded mode, and the API keeps answering.
    """

    def __init__(
        self,
        client: redis.Redis,
        namespace: str,
        *,
        allowed: int,
        window_s: int,
        fallback: MissLimiter,
    ) -> None:
        self.allowed = allowed
        self.window_s = window_s
        self._client = client
        self._prefix = f"{namespace}:misses:"
        self._fallback = fallback
        self._outage = OutageLog(
            log,
            down="Redis is unreachable (%s): misses are counted per process meanwhile",
            back="Redis is reachable again: misses are counted across processes",
        )

    def blocked_for_s(self, key: str, now: datetime) -> int | None:
        try:
            # Asked before every tracking read: the count alone, the wait only when blocked.
            count = self._client.get(self._prefix + key)
            blocked = count is not None and int(count) >= self.allowed
            ttl_s = int(self._client.ttl(self._prefix + key)) if blocked else None
        except redis.RedisError as exc:
            self._outage.failed(exc)
            return self._fallback.blocked_for_s(key, now)
        self._outage.succeeded()
        # -1: no expiry (cannot happen: it is set with the first miss); -2: expired just now.
        if ttl_s is None or ttl_s == -2:
            return None
        return max(1, ttl_s if ttl_s > 0 else self.window_s)

    def record_miss(self, key: str, now: datetime) -> None:
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.incr(self._prefix + key)
            # Only the first miss starts the window; later ones must not prolong it.
            pipe.expire(self._prefix + key, self.window_s, nx=True)
            pipe.execute()
        except redis.RedisError as exc:
            self._outage.failed(exc)
            self._fallback.record_miss(key, now)
            return
        self._outage.succeeded()


def make_miss_limiter(settings: Settings) -> MissLimiter:
    """The tracking-code limiter: shared through Redis when the settings name one."""
    tracking = settings.tracking
    in_memory = InMemoryMissLimiter(
        allowed=tracking.code_misses_allowed, window_s=tracking.code_miss_window_s
    )
    if settings.redis_url is None:
        return in_memory
    return RedisMissLimiter(
        make_redis(settings.redis_url),
        settings.redis_namespace,
        allowed=tracking.code_misses_allowed,
        window_s=tracking.code_miss_window_s,
        fallback=in_memory,
    )
