"""Tracking-code misses counted in Redis: shared by every API process, per process when down."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.rate_limit import InMemoryMissLimiter, RedisMissLimiter
from infra.redis_client import make_redis
from tests.redis_service import CLOSED_REDIS_URL, REDIS_URL, fresh_namespace, requires_redis

pytestmark = [pytest.mark.production, requires_redis]

NOW = datetime(2025, 3, 4, 9, tzinfo=UTC)


def limiter(url: str, namespace: str, *, allowed: int = 3) -> RedisMissLimiter:
    """One API process's limiter."""
    return RedisMissLimiter(
        make_redis(url),
        namespace,
        allowed=allowed,
        window_s=60,
        fallback=InMemoryMissLimiter(allowed=allowed, window_s=60),
    )


def test_misses_in_any_process_count_against_the_client_everywhere():
    namespace = fresh_namespace()
    one, other = limiter(REDIS_URL, namespace), limiter(REDIS_URL, namespace)

    one.record_miss("203.0.113.7", NOW)
    other.record_miss("203.0.113.7", NOW)
    assert one.blocked_for_s("203.0.113.7", NOW) is None
    one.record_miss("203.0.113.7", NOW)

    assert 1 <= (other.blocked_for_s("203.0.113.7", NOW) or 0) <= 60
    assert 1 <= (one.blocked_for_s("203.0.113.7", NOW) or 0) <= 60
    assert other.blocked_for_s("198.51.100.1", NOW) is None


def test_later_misses_do_not_prolong_the_window():
    namespace = fresh_namespace()
    shared = limiter(REDIS_URL, namespace, allowed=1)
    client = make_redis(REDIS_URL)
    shared.record_miss("client", NOW)
    client.expire(f"{namespace}:misses:client", 5)

    shared.record_miss("client", NOW)

    assert 1 <= client.ttl(f"{namespace}:misses:client") <= 5
    client.close()


def test_with_redis_down_misses_are_counted_in_the_process():
    down = limiter(CLOSED_REDIS_URL, fresh_namespace(), allowed=2)

    down.record_miss("client", NOW)
    assert down.blocked_for_s("client", NOW) is None
    down.record_miss("client", NOW)

    assert down.blocked_for_s("client", NOW) == 60


def test_two_api_processes_refuse_a_client_that_missed_across_both(committed_db):
    settings = committed_db.settings.model_copy(
        update={"redis_url": REDIS_URL, "redis_namespace": fresh_namespace()}
    )
    allowed = settings.tracking.code_misses_allowed
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as other:
        for attempt in range(allowed):
            missed = (one if attempt % 2 else other).get(f"/track/NO-SUCH-CODE-{attempt}")
            assert missed.status_code == 404
        refused = one.get("/track/ANOTHER-CODE")

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= settings.tracking.code_miss_window_s
