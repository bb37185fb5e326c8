"""The server's clock: the real one, or a settable one that a demo day is played against."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Protocol

from infra.errors import Conflict, FieldProblem, Invalid, NotFound


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ClockNotSettable(NotFound):
    code = "clock_not_settable"
    title = "The clock is not settable"


class ClockMovedBackwards(Conflict):
    code = "clock_moved_backwards"
    title = "The clock only moves forward"


class ClockNeedsZone(Invalid):
    code = "clock_needs_zone"
    title = "The instant needs a time zone"


class SettableClock:
    """A clock that stands still until it is set, and is only ever set forward.

    Simulated days run hours in minutes: everything that asks the server for the time (requests,
    the plan job runner) must agree on it, and nothing already recorded may lie in its future.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ClockNeedsZone(
                f"the clock's start {start.isoformat()} has no time zone",
                [FieldProblem("start", "needs a time zone")],
            )
        self._lock = threading.Lock()
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> datetime:
        """Moves the clock to `instant`. Raises ClockNeedsZone, ClockMovedBackwards."""
        if instant.tzinfo is None:
            raise ClockNeedsZone(
                f"the instant {instant.isoformat()} has no time zone",
                [FieldProblem("now", "needs a time zone")],
            )
        wanted = instant.astimezone(UTC)
        with self._lock:
            if wanted < self._now:
                raise ClockMovedBackwards(
                    f"the clock is at {self._now.isoformat()}; it cannot go back to "
                    f"{wanted.isoformat()}",
                    now=self._now.isoformat(),
                )
            self._now = wanted
            return wanted
