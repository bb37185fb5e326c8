"""The database layer: savepoints work on SQLite too, and instants come back as aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from infra.models import Depot
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
