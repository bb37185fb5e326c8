"""One reader of the live event log per API process, handing new events to every open stream.

However many pages are open, a process reads the log once per wake-up: when a transaction of
this process that recorded events commits (the LiveSignal), or after `poll_s` for events
committed by other processes; reads are at least `min_read_interval_s` apart, so that many
commits a second are gathered into few reads. Each read takes a short session of its own in a
worker thread, so no stream holds a connection or a transaction while it waits. Each event is
rendered as server-sent-event text once, here, and that one text is handed to every stream
that wants it. Events are handed out in id order without holes: ids are taken at insert but
become visible at commit, so an id missing below newer ones may still be committing, and the
reader waits `gap_grace_s` for it before going on without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import anyio
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from infra import live_events
from infra.db import read_only_session
from infra.errors import Unavailable
from infra.live_events import LiveRecord
from infra.live_signal import LiveSignal
from infra.outage import OutageLog
from infra.settings import LiveSettings

log = logging.getLogger(__name__)

# Events read at once; a longer backlog is read in several goes.
READ_BATCH = 500
# How soon a read of the log that failed (the database unreachable) is tried again.
READ_RETRY_S = 0.5
# While a hole waits for its transaction, look again this often (it may commit elsewhere).
GAP_RECHECK_S = 0.1
# Events a stream may fall behind its client before it is dropped; the browser reconnects
# and catches up from the log, so a slow client costs it nothing but holds no memory here.
QUEUE_LIMIT = 2000


def sse_event(record: LiveRecord) -> str:
    """One event in the text/event-stream format; the JSON is one line, so one data field."""
    data = {
        "id": record.id,
        "kind": record.kind,
        "at": record.created_at.isoformat(),
        "service_date": record.service_date.isoformat() if record.service_date else None,
        "depot_id": record.depot_id,
        "route_id": record.route_id,
        "courier_id": record.courier_id,
        "order_id": record.order_id,
        "payload": record.payload,
    }
    return f"id: {record.id}\nevent: {record.kind}\ndata: {json.dumps(data)}\n\n"


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """An event as the reader hands it out: the record and its text, rendered once for all
    the streams it goes to (see `LiveEvent.of`)."""

    record: LiveRecord
    text: str

    @classmethod
    def of(cls, record: LiveRecord) -> LiveEvent:
        return cls(record, sse_event(record))


class TooManyStreams(Unavailable):
    code = "too_many_streams"
    title = "Too many live streams are open"


class IdSequence:
    """Hands out events in id order without holes, however their transactions commit.

    Ids are taken at insert but visible at commit, so a missing id below newer events may be a
    transaction still committing (PostgreSQL); it is waited for `grace_s`, then given up (its
    transaction rolled back). SQLite has one writer at a time and never shows a hole.
    """

    def __init__(self, watermark: int, grace_s: float, clock: Callable[[], float]) -> None:
        # The newest id handed out; every id below it was handed out or given up.
        self.watermark = watermark
        self._grace_s = grace_s
        self._clock = clock
        # The first missing id above the watermark and when it was first missed.
        self._hole: tuple[int, float] | None = None

    @property
    def waiting(self) -> bool:
        """Whether a hole holds back events that were read."""
        return self._hole is not None

    def take(self, records: list[LiveRecord]) -> list[LiveRecord]:
        """The records (read after the watermark, oldest first) that may go out now."""
        ready = []
        for record in records:
            expected = self.watermark + 1
            if record.id > expected:
                now = self._clock()
                if self._hole is None or self._hole[0] != expected:
                    self._hole = (expected, now)
                if now - self._hole[1] < self._grace_s:
                    break
            self._hole = None
            ready.append(record)
            self.watermark = record.id
        return ready


@dataclass(frozen=True, slots=True)
class StreamFilter:
    """The events one page wants: one day, optionally one depot (events of no depot in
    particular, such as a replan of a plan for all depots, belong to every depot)."""

    service_date: date
    depot_id: int | None = None

    def admits(self, record: LiveRecord) -> bool:
        if record.service_date != self.service_date:
            return False
        return self.depot_id is None or record.depot_id in (None, self.depot_id)


class Subscription:
    """A stream's share of the reader: events above `start_id` that pass its filter."""

    def __init__(self, stream_filter: StreamFilter, start_id: int) -> None:
        self.filter = stream_filter
        self.start_id = start_id
        self.overflowed = False
        self._queue: asyncio.Queue[LiveEvent] = asyncio.Queue()

    def offer(self, event: LiveEvent) -> None:
        if self.overflowed or not self.filter.admits(event.record):
            return
        if self._queue.qsize() >= QUEUE_LIMIT:
            self.overflowed = True
            return
        self._queue.put_nowait(event)

    async def take(self, timeout_s: float) -> list[LiveEvent]:
        """Every event waiting, oldest first, after waiting up to `timeout_s` for the first;
        empty when none came. A stream writes them in one go, not one write per event."""
        try:
            first = await asyncio.wait_for(self._queue.get(), timeout_s)
        except TimeoutError:
            return []
        events = [first]
        while not self._queue.empty():
            events.append(self._queue.get_nowait())
        return events


class StreamSlot:
    """One of the process's `max_streams` places; released once, however the stream ends."""

    def __init__(self, on_release: Callable[[], None]) -> None:
        self._on_release: Callable[[], None] | None = on_release

    def release(self) -> None:
        if self._on_release is not None:
            self._on_release()
            self._on_release = None


class LiveHub:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        signal: LiveSignal,
        settings: LiveSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._signal = signal
        self.settings = settings
        self._clock = clock
        self._slots = 0
        self._subscriptions: list[Subscription] = []
        self._task: asyncio.Task[None] | None = None
        self._sequence = IdSequence(0, settings.gap_grace_s, clock)
        self._outage = OutageLog(
            log,
            down=f"live events could not be read (%s): retrying every {READ_RETRY_S:g} s",
            back="live events are read again",
        )

    @property
    def open_streams(self) -> int:
        return self._slots

    @property
    def subscribers(self) -> int:
        """Streams past their start (their catch-up included), waiting for new events."""
        return len(self._subscriptions)

    def reserve(self) -> StreamSlot:
        """A place for one more stream. Raises TooManyStreams."""
        if self._slots >= self.settings.max_streams:
            raise TooManyStreams(
                f"this server already serves {self._slots} live streams, its limit; "
                "try again shortly",
                open_streams=self._slots,
            )
        self._slots += 1
        return StreamSlot(self._release_slot)

    def _release_slot(self) -> None:
        self._slots -= 1

    async def subscribe(self, stream_filter: StreamFilter) -> Subscription:
        """Events committed from now on; those before `start_id` are the stream's to read."""
        if not self._reading():
            latest = await anyio.to_thread.run_sync(self._read_latest_id)
            if not self._reading():  # no other stream started the reader meanwhile
                self._sequence = IdSequence(latest, self.settings.gap_grace_s, self._clock)
                self._task = asyncio.create_task(self._run(), name="live event reader")
        subscription = Subscription(stream_filter, self._sequence.watermark)
        self._subscriptions.append(subscription)
        return subscription

    def _reading(self) -> bool:
        return self._task is not None and not self._task.done()

    def unsubscribe(self, subscription: Subscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(subscription)
        if not self._subscriptions and self._task is not None:
            # Nobody listens: stop reading; the next stream starts a reader again.
            self._task.cancel()
            self._task = None

    def read_page(
        self, after_id: int, until_id: int, stream_filter: StreamFilter
    ) -> list[LiveRecord]:
        """A stream's catch-up from the log (a resumed or late stream), in a short session."""
        with read_only_session(self._sessions) as session:
            return live_events.events_after(
                session,
                after_id,
                until_id=until_id,
                limit=READ_BATCH,
                service_date=stream_filter.service_date,
                depot_id=stream_filter.depot_id,
            )

    async def _run(self) -> None:
        last_read = -math.inf
        with self._signal.listen() as rung:
            while self._subscriptions:
                wait_s = GAP_RECHECK_S if self._sequence.waiting else self.settings.poll_s
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(rung.wait(), min(wait_s, self.settings.poll_s))
                # Not sooner than `min_read_interval_s` after the last read: the commits of
                # the meantime ring again and are gathered into this read. After a quiet
                # spell the interval is over and a ring is answered at once.
                spacing_s = last_read + self.settings.min_read_interval_s - self._clock()
                if spacing_s > 0:
                    await asyncio.sleep(spacing_s)
                # Cleared before reading: a commit during the read rings again.
                rung.clear()
                last_read = self._clock()
                while True:
                    # A backlog longer than READ_BATCH is read page after page, at once.
                    try:
                        records = await anyio.to_thread.run_sync(self._read_new)
                    except (DBAPIError, PoolTimeout) as exc:
                        # The database dropped the connection, restarts or is busy: the
                        # streams keep their reader, which reads again once it answers (the
                        # pool replaces a dropped connection).
                        self._outage.failed(exc)
                        await asyncio.sleep(READ_RETRY_S)
                        continue
                    self._outage.succeeded()
                    for record in self._sequence.take(records):
                        event = LiveEvent.of(record)
                        for subscription in list(self._subscriptions):
                            subscription.offer(event)
                    if len(records) < READ_BATCH or self._sequence.waiting:
                        break

    def _read_latest_id(self) -> int:
        with read_only_session(self._sessions) as session:
            return live_events.latest_event_id(session)

    def _read_new(self) -> list[LiveRecord]:
        with read_only_session(self._sessions) as session:
            return live_events.events_after(session, self._sequence.watermark, limit=READ_BATCH)
