"""The settable clock of a simulated day: admins only, absent unless enabled, forward only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.deps import get_session
from infra.clock import SettableClock
from infra.models import Role
from infra.settings import Settings
from tests.conftest import make_settings
from tests.factories import auth_headers, make_user

START = datetime(2025, 3, 4, 5, 30, tzinfo=UTC)


def _client(settings: Settings, session: Session, clock: SettableClock | None) -> TestClient:
    app = create_app(settings, clock=clock)

    def use_test_session() -> Iterator[Session]:
        if session.in_transaction():
            session.commit()
        with session.begin():
            yield session

    # The real get_now stays: these tests are about the clock it reads.
    app.dependency_overrides[get_session] = use_test_session
    return TestClient(app)


@pytest.fixture
def settable(settings: Settings) -> Settings:
    operation = settings.operation.model_copy(update={"settable_clock": True})
    return settings.model_copy(update={"operation": operation})


def test_admin_moves_the_clock_forward_and_requests_see_it(session, settable):
    clock = SettableClock(START)
    admin = make_user(session, role=Role.ADMIN)
    headers = auth_headers(settable, admin, now=START)
    with _client(settable, session, clock) as client:
        later = START + timedelta(hours=2)
        moved = client.put("/admin/clock", json={"now": later.isoformat()}, headers=headers)
        read = client.get("/admin/clock", headers=headers)

    assert moved.status_code == 200
    assert datetime.fromisoformat(moved.json()["now"]) == later
    assert datetime.fromisoformat(read.json()["now"]) == later
    assert read.json()["timezone"] == settable.operation.timezone
    assert clock.now() == later


def test_the_clock_never_goes_back(session, settable):
    clock = SettableClock(START)
    headers = auth_headers(settable, make_user(session, role=Role.ADMIN), now=START)
    with _client(settable, session, clock) as client:
        refused = client.put(
            "/admin/clock",
            json={"now": (START - timedelta(minutes=1)).isoformat()},
            headers=headers,
        )

    assert refused.status_code == 409
    assert refused.json()["code"] == "clock_moved_backwards"
    assert clock.now() == START


def test_an_instant_without_a_zone_is_refused(session, settable):
    headers = auth_headers(settable, make_user(session, role=Role.ADMIN), now=START)
    with _client(settable, session, SettableClock(START)) as client:
        refused = client.put("/admin/clock", json={"now": "2025-03-04T09:00:00"}, headers=headers)

    assert refused.status_code == 422


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.COURIER])
def test_only_admins_reach_the_clock(session, settable, role):
    headers = auth_headers(settable, make_user(session, role=role), now=START)
    with _client(settable, session, SettableClock(START)) as client:
        answers = [
            client.get("/admin/clock", headers=headers),
            client.put(
                "/admin/clock",
                json={"now": (START + timedelta(hours=1)).isoformat()},
                headers=headers,
            ),
        ]

    assert [a.status_code for a in answers] == [403, 403]


def test_the_clock_is_not_found_unless_enabled(session, settings):
    headers = auth_headers(settings, make_user(session, role=Role.ADMIN))
    with _client(settings, session, None) as client:
        answers = [
            client.get("/admin/clock", headers=headers),
            client.put(
                "/admin/clock", json={"now": datetime.now(UTC).isoformat()}, headers=headers
            ),
        ]

    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].headers["content-type"].startswith("application/problem+json")
    assert answers[0].json()["code"] == "clock_not_settable"


def test_the_setting_alone_starts_a_settable_clock_at_the_real_time():
    settings = make_settings(
        "sqlite://", operation={"timezone": "Europe/Tallinn", "settable_clock": True}
    )
    app = create_app(settings)

    assert isinstance(app.state.clock, SettableClock)
    assert abs(app.state.clock.now() - datetime.now(UTC)) < timedelta(minutes=1)


def test_production_refuses_a_settable_clock():
    with pytest.raises(ValueError, match="SETTABLE_CLOCK"):
        make_settings(
            "sqlite://",
            environment="production",
            operation={"timezone": "Europe/Tallinn", "settable_clock": True},
        )
