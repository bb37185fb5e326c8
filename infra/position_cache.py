"""Each courier's latest position kept in Redis (the production profile), so the pages that show
it do not query the pings; the database stays the record.

A transaction that stored pings names the courier's new latest position with
`store_after_commit`; once it commits, the position is written, unless Redis already holds one
of a later device time (a late upload, or a slower request). Readers ask `PositionCache.latest`
first and read the database on a miss. While Redis fails, nothing is cached: every read goes
to the database and the failure is logged once. A courier whose position could not be written
meanwhile is dropped from the cache when Redis answers again, so that it is not shown where it
was before.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from infra.db import add_session_info
from infra.outage import OutageLog

log = logging.getLogger(__name__)

# A courier not heard of for a day has no cached position: the database answers.
TTL_S = 24 * 3600

# Session.info keys: the cache of the session's factory; positions to write at its commit.
_CACHE = "sameday_position_cache"
_PENDING = "sameday_positions_to_cache"

# Writes the hash in KEYS[1] unless it holds a position of the same or a later device time.
# ARGV: device time in microseconds since the epoch, expiry in seconds, then field, value...
_STORE_IF_NEWER = """
local current = redis.call('HGET', KEYS[1], 'device_at_us')
if current and tonumber(current) >= tonumber(ARGV[1]) then
    return 0
end
redis.call('HSET', KEYS[1], 'device_at_us', ARGV[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


@dataclass(frozen=True, slots=True)
class LatestPosition:
    """Where a courier's device was last (by device time), and on which route, if known."""

    courier_id: int
    lat: float
    lng: float
    device_at: datetime
    received_at: datetime
    route_id: int | None = None


class PositionCache:
    """Latest positions in Redis hashes under `{namespace}:position:{courier_id}`; no method
    raises when Redis fails."""

    def __init__(self, client: redis.Redis, namespace: str, *, ttl_s: int = TTL_S) -> None:
        self._client = client
        self._prefix = f"{namespace}:position:"
        self._ttl_s = ttl_s
        self._store = client.register_script(_STORE_IF_NEWER)
        self._lock = threading.Lock()
        self._outage = OutageLog(
            log,
            down="Redis is unreachable (%s): latest courier positions are read from the "
            "database until it is back",
            back="Redis is reachable again: latest courier positions are cached",
        )
        # Couriers whose newer position could not be written: their entries may be out of date.
        self._stale: set[int] = set()

    def store(self, position: LatestPosition) -> bool:
        """Writes `position` unless a later one is cached; whether it was written."""
        device_at_us = round(position.device_at.timestamp() * 1_000_000)
        fields = {
            "courier_id": str(position.courier_id),
            "lat": repr(position.lat),
            "lng": repr(position.lng),
            "device_at": position.device_at.astimezone(UTC).isoformat(),
            "received_at": position.received_at.astimezone(UTC).isoformat(),
            "route_id": "" if position.route_id is None else str(position.route_id),
        }
        args = [str(device_at_us), str(self._ttl_s)]
        for name, value in fields.items():
            args += [name, value]
        try:
            self._forget_stale()
            written = bool(self._store(keys=[self._key(position.courier_id)], args=args))
        except redis.RedisError as exc:
            with self._lock:
                self._stale.add(position.courier_id)
            self._outage.failed(exc)
            return False
        self._outage.succeeded()
        return written

    def latest(self, courier_id: int) -> LatestPosition | None:
        """The cached position, or None when there is none or Redis fails."""
        try:
            self._forget_stale()
            # The client decodes responses (make_redis): the values are str.
            key = self._key(courier_id)
            fields: dict[str, str] = self._client.hgetall(key)  # type: ignore[assignment]
        except redis.RedisError as exc:
            self._outage.failed(exc)
            return None
        self._outage.succeeded()
        if not fields:
            return None
        return LatestPosition(
            courier_id=int(fields["courier_id"]),
            lat=float(fields["lat"]),
            lng=float(fields["lng"]),
            device_at=datetime.fromisoformat(fields["device_at"]),
            received_at=datetime.fromisoformat(fields["received_at"]),
            route_id=int(fields["route_id"]) if fields["route_id"] else None,
        )

    def close(self) -> None:
        self._client.close()

    def _key(self, courier_id: int) -> str:
        return f"{self._prefix}{courier_id}"

    def _forget_stale(self) -> None:
        with self._lock:
            stale = list(self._stale)
        if not stale:
            return
        self._client.delete(*(self._key(courier_id) for courier_id in stale))
        with self._lock:
            self._stale.difference_update(stale)


def install(sessions: sessionmaker[Session], cache: PositionCache) -> None:
    """Gives the sessions of `sessions` the cache to read, and writes the positions a
    transaction stored once it commits (never before: a reader would see a position the
    database does not hold yet, or never will)."""
    add_session_info(sessions, _CACHE, cache)

    @event.listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        # Released savepoints report here too; only the outer commit makes rows visible.
        if session.in_nested_transaction():
            return
        for position in session.info.pop(_PENDING, {}).values():
            cache.store(position)

    @event.listens_for(sessions, "after_soft_rollback")
    def _rolled_back(session: Session, previous: SessionTransaction) -> None:
        if previous.parent is None:
            session.info.pop(_PENDING, None)


def cache_of(session: Session) -> PositionCache | None:
    """The cache of the session's factory; None in the embedded mode."""
    cache: PositionCache | None = session.info.get(_CACHE)
    return cache


def store_after_commit(session: Session, position: LatestPosition) -> None:
    """Writes `position` to the cache when the session's transaction commits."""
    if cache_of(session) is not None:
        session.info.setdefault(_PENDING, {})[position.courier_id] = position


def is_pending(session: Session, courier_id: int) -> bool:
    """Whether the session's transaction stored pings of the courier: the cache does not know
    of them yet, so the courier's position is read from the database."""
    return courier_id in session.info.get(_PENDING, {})
