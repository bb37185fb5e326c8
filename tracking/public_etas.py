"""The ETAs the public tracking page shows, kept per route for a slice of the clock.

Projecting a route's ETAs reads all its stops, their progress, their orders and the courier's
position: far more than the rest of a tracking page, and every customer of the route asks for
the same projection. A projection is kept for the rest of its slice, as long as the ETA
refresh interval (`tracking.eta_refresh_s`): the dispatcher's ETAs follow the courier's
movement at that pace too, and the page shows a window of ETA +- `eta_margin_s`, which that
much driving hardly moves. (With slices of 5 s, the four API processes of the load benchmark
made 9 projections a second among them, a seventh of their CPU at 150 reads a second.)

A commit of this process that records a step of the route (a stop done, a departure, the
route finished) forgets the projection at once. The courier's movement (a position, the ETA
and lateness updates it causes) does not: with pings every few seconds the projection would be
made again for nearly every reader. The movement, and steps committed by another process,
show at the next slice at the latest.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from infra import live_events
from infra.db import add_session_info
from infra.lru import Lru
from tracking import lateness, live_feed

# Live events of a moving courier: the projection waits for its slice to end (see above).
MOVEMENT = frozenset({live_feed.POSITION, lateness.ETAS, lateness.LATE, lateness.LATE_CLEARED})
MAX_ROUTES = 4096
# Spreads consecutive route ids evenly over a slice (see `PublicEtas._slice`).
_GOLDEN_FRACTION = 0.6180339887
_CACHE = "sameday_public_etas"
_PROJECTING_STRIPES = 64


@dataclass(frozen=True, slots=True)
class StopEta:
    arrival_at: datetime
    projected_late: bool


# Stop id -> its ETA, for the remaining stops of a route.
RouteProjection = dict[int, StopEta]


class PublicEtas:
    """Route projections of the current clock slice, the least recently used dropped first."""

    def __init__(self, *, slice_s: float, max_routes: int = MAX_ROUTES) -> None:
        if slice_s <= 0:
            raise ValueError(f"a slice lasts more than 0 s, not {slice_s}")
        self.slice_s = slice_s
        self._max_routes = max_routes
        # Route id -> the slice it was projected in, and the projection.
        self._kept: Lru[int, tuple[int, RouteProjection]] = Lru(max_routes)
        # How often each route was forgotten: a projection computed from what was read
        # before a forget is not kept after it.
        self._forgets: dict[int, int] = {}
        self._lock = threading.Lock()
        # Striped by route id: a bounded set of locks for any number of routes.
        self._projecting = [threading.Lock() for _ in range(_PROJECTING_STRIPES)]

    def _slice(self, route_id: int, now: datetime) -> int:
        """Each route's slices start at an offset of their own: were they all to end at once,
        every route would be projected again in the same instant, a burst that the reads
        arriving then would queue behind."""
        offset_s = (route_id * _GOLDEN_FRACTION) % 1.0 * self.slice_s
        return int((now.timestamp() + offset_s) // self.slice_s)

    def projecting(self, route_id: int) -> threading.Lock:
        """Held while this process projects the route: the readers that find the projection
        missing at the same moment (at the end of its slice, or when the process starts)
        wait for the one projecting it, instead of all projecting it again at once."""
        return self._projecting[route_id % _PROJECTING_STRIPES]

    def version(self, route_id: int) -> int:
        """Read before projecting, handed to `put`."""
        with self._lock:
            return self._forgets.get(route_id, 0)

    def get(self, route_id: int, now: datetime) -> RouteProjection | None:
        with self._lock:
            kept = self._kept.get(route_id)
            if kept is None or kept[0] != self._slice(route_id, now):
                return None
            return kept[1]

    def put(
        self, route_id: int, now: datetime, projection: RouteProjection, *, version: int
    ) -> None:
        with self._lock:
            if self._forgets.get(route_id, 0) != version:
                return  # the route changed while it was projected
            self._kept.put(route_id, (self._slice(route_id, now), projection))

    def forget(self, route_ids: Iterable[int]) -> None:
        with self._lock:
            if len(self._forgets) > 4 * self._max_routes:
                # Kept projections were made under the counts cleared here: drop them too.
                self._forgets.clear()
                self._kept.clear()
            for route_id in route_ids:
                self._kept.pop(route_id)
                self._forgets[route_id] = self._forgets.get(route_id, 0) + 1


def install(sessions: sessionmaker[Session], cache: PublicEtas) -> None:
    """Gives the sessions of `sessions` the cache, forgetting a route's projection when one
    of them commits a live event of the route other than its courier's movement."""
    add_session_info(sessions, _CACHE, cache)
    live_events.routes_changed_after_commit(sessions, cache.forget, ignoring=MOVEMENT)


def cache_of(session: Session) -> PublicEtas | None:
    """The cache of the session's factory (None where none was installed: no caching)."""
    cache: PublicEtas | None = session.info.get(_CACHE)
    return cache
