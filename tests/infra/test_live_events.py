"""The live event log: read by id, day and depot; a commit that recorded events rings once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from infra import live_events
from infra.live_signal import LiveSignal
from tests.factories import make_depot

DAY = date(2025, 3, 4)


def counting_sessions(engine: Engine) -> tuple[sessionmaker[Session], list[int]]:
    rings: list[int] = []
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    live_events.ring_after_commit(sessions, lambda: rings.append(1))
    return sessions, rings


def test_only_a_committed_transaction_that_recorded_events_rings(engine, session):
    # Rolled back at the end like every test's data: nothing here is committed for real.
    sessions, rings = counting_sessions(engine)
    connection = session.connection()

    def run(work: Callable[[Session], object], *, commit: bool) -> None:
        with sessions(bind=connection, join_transaction_mode="create_savepoint") as own:
            with own.begin_nested():
                work(own)
            if commit:
                own.commit()
            else:
                own.rollback()

    run(lambda s: live_events.record(s, "position", {}, service_date=DAY), commit=False)
    assert rings == []
    run(make_depot, commit=True)
    assert rings == []
    run(lambda s: live_events.record(s, "position", {}, service_date=DAY), commit=True)
    assert rings == [1]


def test_events_are_read_after_an_id_for_a_day_and_a_depot(session):
    here, there = make_depot(session), make_depot(session)
    start = live_events.latest_event_id(session)
    mine = live_events.record(session, "position", {"k": 1}, service_date=DAY, depot_id=here.id)
    live_events.record(session, "position", {"k": 2}, service_date=DAY, depot_id=there.id)
    every_depot = live_events.record(session, "replan_proposed", {"k": 3}, service_date=DAY)
    live_events.record(session, "position", {"k": 4}, service_date=date(2025, 3, 5))
    session.flush()

    found = live_events.events_after(session, start, limit=10, service_date=DAY, depot_id=here.id)
    unfiltered = live_events.events_after(session, start, limit=10, until_id=every_depot.id)

    assert [(e.id, e.payload) for e in found] == [(mine.id, {"k": 1}), (every_depot.id, {"k": 3})]
    assert len(unfiltered) == 3
    assert live_events.latest_event_id(session) == every_depot.id + 1


def test_a_ring_wakes_a_listener_in_its_event_loop_from_another_thread():
    signal = LiveSignal()

    async def listen() -> bool:
        with signal.listen() as rung:
            loop = asyncio.get_running_loop()
            loop.call_later(0.05, lambda: loop.run_in_executor(None, signal.ring))
            await asyncio.wait_for(rung.wait(), 2)
            return rung.is_set()

    assert asyncio.run(listen()) is True
