"""The wake-up that tells a process's live streams that new events were committed."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator


class LiveSignal:
    """Rung from any thread after a commit that recorded live events; awaited in an event loop.

    It carries no data, only "read the log now": the log stays the one source of events, so a
    ring that is lost or doubled costs a read at most. Commits in this process ring it through
    `live_events.ring_after_commit`; another process's commits are found by the reader's poll,
    or by a pub/sub subscriber (the production profile's Redis channel) that calls `ring` too.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def ring(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for loop, event in listeners:
            # asyncio events are not thread-safe: set each in its own loop.
            with contextlib.suppress(RuntimeError):  # the loop has closed meanwhile
                loop.call_soon_threadsafe(event.set)

    @contextlib.contextmanager
    def listen(self) -> Iterator[asyncio.Event]:
        """An event set at each ring while the block runs; clear it before reading the log,
        so that a commit during the read sets it again."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._listeners.append(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._listeners.remove(entry)
