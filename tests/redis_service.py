"""The Redis of the production-profile tests: SAMEDAY_REDIS_URL, else the local server."""

from __future__ import annotations

import os
import secrets

import pytest
import redis

REDIS_URL = os.environ.get("SAMEDAY_REDIS_URL") or "redis://127.0.0.1:6379/0"
# Nothing listens there: Redis as a client sees it when the server is down.
CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"


def redis_reachable() -> bool:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def fresh_namespace() -> str:
    """Keys, channels and queues of a test's own, apart from other runs on the same server."""
    return f"sameday-test-{secrets.token_hex(6)}"


requires_redis = pytest.mark.skipif(
    not redis_reachable(), reason=f"no Redis server answers at {REDIS_URL}"
)
