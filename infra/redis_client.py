"""The production profile's Redis connections: short timeouts, so a Redis that is down costs
a request little and is noticed at once."""

from __future__ import annotations

import redis

# Loopback or one hop away: a Redis that does not answer within this is treated as down.
CONNECT_TIMEOUT_S = 0.5
COMMAND_TIMEOUT_S = 1.0


def make_redis(url: str) -> redis.Redis:
    """A client with its own connection pool; connects on first use, never here."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=COMMAND_TIMEOUT_S,
        decode_responses=True,
    )
