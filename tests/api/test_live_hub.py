"""The stream reader hands events out in id order, waiting a while for ids still committing,
renders each once for every stream, reads at most once per interval, and a stream writes what
waits for it in one go."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, date, datetime
from typing import TypeVar

import psycopg
import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from api.live_hub import IdSequence, LiveHub, StreamFilter, sse_event
from api.live_stream import StreamLimits, event_stream
from infra.live_events import LiveRecord
from infra.live_signal import LiveSignal
from infra.settings import LiveSettings

T = TypeVar("T")

DAY = date(2025, 3, 4)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def records(*ids: int, day: date = DAY, depot_id: int | None = None) -> list[LiveRecord]:
    at = datetime(2025, 3, 4, 9, tzinfo=UTC)
    return [LiveRecord(i, "position", day, depot_id, None, None, None, {}, at) for i in ids]


def ids(found: list[LiveRecord]) -> list[int]:
    return [r.id for r in found]


def test_events_without_holes_go_out_at_once():
    sequence = IdSequence(10, 3.0, Clock())

    assert ids(sequence.take(records(11, 12, 13))) == [11, 12, 13]
    assert sequence.watermark == 13
    assert not sequence.waiting


def test_an_id_still_committing_holds_back_the_newer_ones_until_it_arrives():
    clock = Clock()
    sequence = IdSequence(10, 3.0, clock)

    assert ids(sequence.take(records(11, 13, 14))) == [11]
    assert sequence.waiting
    clock.now += 1
    assert ids(sequence.take(records(13, 14))) == []
    clock.now += 1
    assert ids(sequence.take(records(12, 13, 14))) == [12, 13, 14]
    assert not sequence.waiting


def test_a_hole_that_outlasts_the_grace_period_is_given_up():
    clock = Clock()
    sequence = IdSequence(10, 3.0, clock)

    assert ids(sequence.take(records(12, 13))) == []
    clock.now += 3.5
    assert ids(sequence.take(records(12, 13, 15))) == [12, 13]
    # A new hole waits a grace period of its own.
    clock.now += 1
    assert ids(sequence.take(records(15))) == []
    assert sequence.watermark == 13


def test_a_filter_keeps_its_day_and_depot_and_events_of_every_depot():
    here = StreamFilter(DAY, depot_id=1)

    assert [
        here.admits(r)
        for r in records(1, depot_id=1)
        + records(2, depot_id=2)
        + records(3)
        + records(4, day=date(2025, 3, 5), depot_id=1)
    ] == [True, False, True, False]


class HeardSignal(LiveSignal):
    """Tells whether someone listens: a ring before the reader listens is lost (its poll would
    find the events, but the tests poll slowly)."""

    def __init__(self) -> None:
        super().__init__()
        self.listeners = 0

    @contextlib.contextmanager
    def listen(self) -> Iterator[asyncio.Event]:
        with super().listen() as rung:
            self.listeners += 1
            try:
                yield rung
            finally:
                self.listeners -= 1


class LoggedHub(LiveHub):
    """A hub over a log kept in memory: `log` holds the committed events, `reads` the time
    of each read."""

    def __init__(self, settings: LiveSettings) -> None:
        self.signal = HeardSignal()
        super().__init__(sessionmaker(), self.signal, settings)
        self.log: list[LiveRecord] = []
        self.reads: list[float] = []

    async def commit(self, *found: LiveRecord) -> None:
        """Commits the events and rings, once the reader listens."""
        await until(lambda: self.signal.listeners == 1)
        self.log.extend(found)
        self.signal.ring()

    def _read_latest_id(self) -> int:
        return max((r.id for r in self.log), default=0)

    def _read_new(self) -> list[LiveRecord]:
        self.reads.append(time.monotonic())
        after = self._sequence.watermark
        return [r for r in self.log if r.id > after]

    async def read_up_to(self, event_id: int) -> None:
        await until(lambda: self._sequence.watermark >= event_id)


async def until(check: Callable[[], bool], timeout_s: float = 5) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def run(test: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await test()

    return asyncio.run(main())


async def never() -> bool:
    return False


def a_stream(hub: LiveHub, limits: StreamLimits, after: int | None = None) -> AsyncIterator[str]:
    return event_stream(
        hub, hub.reserve(), StreamFilter(DAY), after=after, limits=limits, disconnected=never
    )


def test_events_waiting_for_a_stream_go_out_in_one_write_in_order():
    hub = LoggedHub(LiveSettings(poll_s=30))

    async def test() -> list[str]:
        stream = a_stream(hub, StreamLimits(max_events=3, timeout_s=5))
        assert (await anext(stream)).startswith("retry: ")
        # Read while the stream waits for its client to take the next write.
        await hub.commit(*records(1, 2, 3))
        await hub.read_up_to(3)
        return [write async for write in stream]

    writes = run(test)

    assert writes == ["".join(sse_event(r) for r in records(1, 2, 3))]
    assert hub.open_streams == 0
    assert hub.subscribers == 0


def test_a_stream_sends_no_more_than_max_events_however_many_wait():
    hub = LoggedHub(LiveSettings(poll_s=30))

    async def test() -> list[str]:
        stream = a_stream(hub, StreamLimits(max_events=2, timeout_s=5))
        assert (await anext(stream)).startswith("retry: ")
        await hub.commit(*records(1, 2, 3, 4))
        await hub.read_up_to(4)
        return [write async for write in stream]

    writes = run(test)

    assert writes == [sse_event(records(1)[0]) + sse_event(records(2)[0])]
    assert hub.open_streams == 0


def test_a_resumed_stream_skips_waiting_events_its_client_had_and_counts_only_the_rest():
    hub = LoggedHub(LiveSettings(poll_s=30))

    async def test() -> list[str]:
        # The client saw up to 2 (from another process, say) before the reader caught up.
        stream = a_stream(hub, StreamLimits(max_events=2, timeout_s=5), after=2)
        assert (await anext(stream)).startswith("retry: ")
        await hub.commit(*records(1, 2, 3, 4, 5))
        await hub.read_up_to(5)
        return [write async for write in stream]

    assert run(test) == [sse_event(records(3)[0]) + sse_event(records(4)[0])]


def test_every_stream_gets_the_same_text_of_an_event_rendered_once():
    hub = LoggedHub(LiveSettings(poll_s=30))

    async def test() -> None:
        everywhere = await hub.subscribe(StreamFilter(DAY))
        here = await hub.subscribe(StreamFilter(DAY, depot_id=1))
        try:
            await hub.commit(*records(1, depot_id=1), *records(2, depot_id=2))
            await hub.read_up_to(2)
            seen, mine = await everywhere.take(1), await here.take(1)
        finally:
            hub.unsubscribe(everywhere)
            hub.unsubscribe(here)

        assert [e.record.id for e in seen] == [1, 2]
        assert [e.record.id for e in mine] == [1]
        assert mine[0].text is seen[0].text
        assert seen[0].text == sse_event(seen[0].record)

    run(test)


@pytest.mark.alone
def test_commits_in_quick_succession_are_gathered_into_one_read_per_interval():
    interval_s = 0.2
    hub = LoggedHub(LiveSettings(poll_s=30, min_read_interval_s=interval_s))

    async def test() -> None:
        subscription = await hub.subscribe(StreamFilter(DAY))
        try:
            started = time.monotonic()
            next_id = 1
            while time.monotonic() - started < 1.0:
                await hub.commit(*records(next_id))
                next_id += 1
                await asyncio.sleep(0.005)
            await hub.read_up_to(next_id - 1)
            events = await subscription.take(1)
        finally:
            hub.unsubscribe(subscription)

        assert [e.record.id for e in events] == list(range(1, next_id))
        assert next_id > 50
        # A read every commit would be some hundred reads.
        assert 2 <= len(hub.reads) <= 1.0 / interval_s + 2
        gaps = [b - a for a, b in zip(hub.reads, hub.reads[1:], strict=False)]
        assert min(gaps) >= interval_s * 0.9

    run(test)


@pytest.mark.alone
def test_a_quiet_reader_answers_a_commit_at_once():
    hub = LoggedHub(LiveSettings(poll_s=30, min_read_interval_s=1.0))

    async def test() -> float:
        subscription = await hub.subscribe(StreamFilter(DAY))
        try:
            await hub.commit(*records(1))
            await hub.read_up_to(1)
            await asyncio.sleep(1.1)  # longer than the interval
            committed = time.monotonic()
            await hub.commit(*records(2))
            await hub.read_up_to(2)
            return hub.reads[-1] - committed
        finally:
            hub.unsubscribe(subscription)

    assert run(test) < 0.5


class DroppedOnceHub(LoggedHub):
    """A hub whose first read of the log meets a connection the database dropped."""

    def __init__(self, settings: LiveSettings) -> None:
        super().__init__(settings)
        self.failures = 0

    def _read_new(self) -> list[LiveRecord]:
        if self.failures == 0:
            self.failures += 1
            dropped = psycopg.OperationalError("server closed the connection unexpectedly")
            raise OperationalError("SELECT live_event ...", {}, dropped)
        return super()._read_new()


def test_a_read_of_the_log_that_fails_keeps_the_reader_and_its_streams(
    caplog: pytest.LogCaptureFixture,
):
    hub = DroppedOnceHub(LiveSettings(poll_s=30, min_read_interval_s=0.01))

    async def test() -> list[int]:
        subscription = await hub.subscribe(StreamFilter(DAY))
        try:
            await hub.commit(*records(1))
            await hub.read_up_to(1)
            await hub.commit(*records(2))
            await hub.read_up_to(2)
            return [e.record.id for e in await subscription.take(2)]
        finally:
            hub.unsubscribe(subscription)

    assert run(test) == [1, 2]
    assert hub.failures == 1
    assert "live events could not be read" in caplog.text
