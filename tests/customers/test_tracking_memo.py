"""Tracking pages keep their timeline and their visits' outcomes per process, under the
latest event each was made from: a repeated read is one query, and whatever another process
records shows on the next read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from customers import tracking_view
from infra.db import make_session_factory
from infra.models import StopEventKind
from infra.settings import TrackingSettings
from orders import timeline
from tests.conftest import CommittedDatabase
from tests.tracking.routes import START, make_tracked_route
from tracking import public_etas
from tracking.stop_events import StopReport, record_stop_event

NOW = START + timedelta(minutes=5)
SETTINGS = TrackingSettings()

pytestmark = pytest.mark.slow


@contextmanager
def _statements(committed_db: CommittedDatabase) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG001
        if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)", statement):
            seen.append(statement)

    event.listen(committed_db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(committed_db.engine, "before_cursor_execute", record)


def _app_sessions(committed_db: CommittedDatabase) -> sessionmaker[Session]:
    """Sessions as the app's: with the memo and the shared ETA projection."""
    sessions = make_session_factory(committed_db.engine)
    tracking_view.install_memo(sessions, tracking_view.TrackingMemo())
    public_etas.install(sessions, public_etas.PublicEtas(slice_s=SETTINGS.eta_refresh_s))
    return sessions


def _view(sessions: sessionmaker[Session], code: str) -> tracking_view.TrackingView:
    with sessions() as session, session.begin():
        return tracking_view.tracking_view(session, code, now=NOW, settings=SETTINGS)


def test_a_page_read_again_is_one_query_and_shows_the_same(committed_db: CommittedDatabase):
    with committed_db.sessions() as session, session.begin():
        setup = make_tracked_route(session, stops=3)
    third = setup.orders[2].tracking_code
    sessions = _app_sessions(committed_db)
    plain = make_session_factory(committed_db.engine)

    first = _view(sessions, third)
    with _statements(committed_db) as again:
        second = _view(sessions, third)
    with _statements(committed_db) as unkept:
        made = _view(plain, third)

    assert second == first == made
    assert first.eta_from is not None
    assert len(again) == 1, again
    # Without the memo the same page reads its timeline and its visits' progress as well.
    assert len(unkept) > len(again) + 1


def test_what_another_process_records_shows_on_the_next_read(committed_db: CommittedDatabase):
    with committed_db.sessions() as session, session.begin():
        setup = make_tracked_route(session, stops=3)
    first, second = (o.tracking_code for o in setup.orders[:2])
    sessions = _app_sessions(committed_db)
    before = _view(sessions, first), _view(sessions, second)

    # Another process (sessions without this memo) records the first stop delivered ...
    with committed_db.sessions() as session, session.begin():
        for kind, key in ((StopEventKind.ARRIVED, "a"), (StopEventKind.DELIVERED, "d")):
            report = StopReport(
                f"memo-{key}-{setup.stops[0].id}",
                kind,
                occurred_at=NOW,
                recipient_name="Ada Lovelace" if kind is StopEventKind.DELIVERED else None,
            )
            record_stop_event(
                session, setup.courier.id, setup.stops[0].id, report, now=NOW, eta_settings=None
            )
    delivered = _view(sessions, first)
    # ... and puts an entry on the second order's timeline.
    with committed_db.sessions() as session, session.begin():
        timeline.record(session, setup.orders[1].id, timeline.HELD, at=NOW)
    held = _view(sessions, second)

    assert before[0].proof is None
    assert delivered.proof is not None
    assert delivered.proof.recipient_first_name == "Ada"
    assert delivered.eta_from is None
    assert [m.kind for m in delivered.timeline][-2:] == [timeline.ARRIVED, timeline.DELIVERED]
    assert timeline.HELD not in [m.kind for m in before[1].timeline]
    assert [m.kind for m in held.timeline][-1] == timeline.HELD
