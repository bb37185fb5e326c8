"""How often a courier's movement projects their route's ETAs again.

Projecting a route's ETAs reads the whole route: its stops, their progress, their orders, the
vehicle and the courier's position, about ten queries. A phone pings every few seconds, and
from one ping to the next the ETAs hardly move (the live pages are told only of a move of
`live_eta_change_s`, and lateness counts from `lateness_threshold_s`). So a ping projects its
route again only when this process last did it at least `eta_refresh_s` ago by the requests'
clock. A stop event, a departure and a finished route always project again, and so does a
ping of a route that this process has not projected yet. With several API processes, each
projects a route at most once per interval.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from infra.db import add_session_info
from infra.lru import Lru

_PACE = "sameday_eta_refresh_pace"
# Routes remembered; the oldest are dropped first (a dropped route is simply due again).
MAX_ROUTES = 8192


class RefreshPace:
    def __init__(self, interval_s: float, *, max_routes: int = MAX_ROUTES) -> None:
        self._interval_s = interval_s
        # Route id -> when a ping last projected it.
        self._last: Lru[int, datetime] = Lru(max_routes)
        self._lock = threading.Lock()

    def claim(self, route_id: int, now: datetime) -> bool:
        """Whether a ping at `now` should project the route; if so, it counts as projected."""
        with self._lock:
            last = self._last.get(route_id)
            # A clock set back (a simulated day started again) makes the route due as well.
            if last is not None and 0 <= (now - last).total_seconds() < self._interval_s:
                return False
            self._last.put(route_id, now)
            return True


def install(sessions: sessionmaker[Session], pace: RefreshPace) -> None:
    add_session_info(sessions, _PACE, pace)


def ping_may_refresh(session: Session, route_id: int, now: datetime) -> bool:
    """Whether a ping should project the route's ETAs; always where no pace was installed."""
    pace: RefreshPace | None = session.info.get(_PACE)
    return pace is None or pace.claim(route_id, now)
