"""The database layer: savepoints work on SQLite too, and instants come back as aware UTC."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from infra import live_events
from infra.db import read_only_session
from infra.models import Depot, LiveEvent
from tests.factories import make_depot, make_order


def test_a_rolled_back_savepoint_keeps_the_work_before_it(session):
    kept = make_depot(session, code="KEPT")
    nested = session.begin_nested()
    make_depot(session, code="GONE")
    nested.rollback()

    codes = set(session.scalars(select(Depot.code)))

    assert kept.code in codes
    assert "GONE" not in codes


def test_instants_are_stored_as_utc_and_read_back_aware(session):
    received = datetime(2025, 3, 4, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    order = make_order(session, received_at=received)
    session.expire_all()

    loaded = session.get_one(type(order), order.id)

    assert loaded.received_at == received
    assert loaded.received_at.tzinfo == UTC
    assert loaded.received_at.hour == 8


def test_a_naive_datetime_is_refused(session):
    with pytest.raises(StatementError, match="naive datetime"):
        make_order(session, received_at=datetime(2025, 3, 4, 9, 30))


def test_concurrent_writers_that_read_first_all_commit(committed_db):
    # What the API does on every report: read (who is asking, the route), then write. On SQLite
    # two such transactions used to collide with an immediate "database is locked".
    with committed_db.sessions() as setup, setup.begin():
        depot_id = make_depot(setup, code="LOCKS").id
    failures: list[BaseException] = []

    def report(worker: int) -> None:
        try:
            for k in range(15):
                with committed_db.sessions() as session, session.begin():
                    session.get(Depot, depot_id)
                    time.sleep(0.001)  # another writer gets in between the read and the write
                    live_events.record(
                        session, "position", {"worker": worker, "k": k}, depot_id=depot_id
                    )
        except BaseException as error:  # collected: a thread's exception would go unseen
            failures.append(error)

    threads = [threading.Thread(target=report, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    with committed_db.sessions() as session:
        stored = session.scalars(select(LiveEvent).where(LiveEvent.depot_id == depot_id)).all()
    assert len(stored) == 6 * 15


def test_a_read_only_session_does_not_wait_for_a_writer(committed_db):
    with committed_db.sessions() as writer, writer.begin():
        writer.get(Depot, 1)  # holds the write lock on SQLite until the block ends
        with read_only_session(committed_db.sessions) as reader:
            assert reader.scalar(select(func.count()).select_from(Depot)) is not None
