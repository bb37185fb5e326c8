"""Carries "new live events were committed" between processes over a Redis channel.

The live event log stays the one source of events; the channel only says "read it now". A
commit that recorded events publishes after it commits; every API process subscribes in a
thread and rings its own LiveSignal. When Redis is down, publishing is skipped for a while
and the streams find events by their poll (`LiveSettings.poll_s`), as in a single process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis

from infra.outage import OutageLog
from infra.redis_client import make_redis

log = logging.getLogger(__name__)

# After Redis failed, neither side tries again before this.
RETRY_S = 2.0
# How long the subscriber waits for a message before it looks whether it should stop.
LISTEN_S = 1.0


class LiveRelay:
    """Publishes after this process's commits and rings `ring` at other processes' commits."""

    def __init__(self, url: str, namespace: str, ring: Callable[[], None]) -> None:
        self._client = make_redis(url)
        self._channel = f"{namespace}:live-events"
        self._ring = ring
        self._stopping = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._outage = OutageLog(
            log,
            down="Redis is unreachable (%s): live streams of other processes learn of new "
            "events by polling the log until it is back",
            back="Redis is reachable again: live events are signalled at once",
        )

    @property
    def listening(self) -> bool:
        """Whether the subscriber is on the channel now."""
        return self._listening.is_set()

    def publish(self) -> None:
        """Tells the other processes to read the log; never raises (a lost signal costs a poll)."""
        if time.monotonic() < self._down_until:
            return
        try:
            self._client.publish(self._channel, "1")
        except redis.RedisError as exc:
            self._went_down(exc)
        else:
            self._came_back()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._listen, name="live-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._client.close()

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen_until_failure()
            except redis.RedisError as exc:
                self._went_down(exc)
                self._stopping.wait(RETRY_S)

    def _listen_until_failure(self) -> None:
        # redis-py before 8 leaves pubsub() untyped, later versions type it.
        pubsub = self._client.pubsub(  # type: ignore[no-untyped-call, unused-ignore]
            ignore_subscribe_messages=True
        )
        try:
            pubsub.subscribe(self._channel)
            self._listening.set()
            self._came_back()
            # Events committed while this process was not listening are found now, not at the
            # next poll.
            self._ring()
            while not self._stopping.is_set():
                if pubsub.get_message(timeout=LISTEN_S) is not None:
                    self._ring()
        finally:
            self._listening.clear()
            pubsub.close()

    def _went_down(self, exc: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + RETRY_S
        self._outage.failed(exc)

    def _came_back(self) -> None:
        with self._lock:
            self._down_until = 0.0
        self._outage.succeeded()
