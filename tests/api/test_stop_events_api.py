from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.models import (
    NotificationOutbox,
    OrderStatus,
    PlanJob,
    ReplanTrigger,
    RouteStatus,
    StopEvent,
    User,
)
from infra.settings import Settings
from tests.factories import auth_headers, make_courier
from tests.tracking.routes import START, RouteSetup, make_tracked_route


@pytest.fixture(autouse=True)
def _after_the_events(clock):
    # The events below happen in the first half hour of the route; the server reads them later.
    clock.now = START + timedelta(hours=1)


def event(kind: str, client_id: str, minutes: int = 10, **extra: Any) -> dict[str, Any]:
    body = {
        "client_event_id": client_id,
        "kind": kind,
        "occurred_at": (START + timedelta(minutes=minutes)).isoformat(),
    }
    return body | extra


def post(
    client: TestClient, settings: Settings, user: User, stop_id: int, body: dict[str, Any]
) -> Any:
    return client.post(
        f"/courier/me/stops/{stop_id}/events", json=body, headers=auth_headers(settings, user)
    )


def deliver(client: TestClient, settings: Settings, setup: RouteSetup, k: int) -> None:
    stop = setup.stops[k]
    arrived = post(client, settings, setup.user, stop.id, event("arrived", f"a{stop.id}"))
    assert arrived.status_code == 201, arrived.json()
    delivered = post(
        client,
        settings,
        setup.user,
        stop.id,
        event("delivered", f"d{stop.id}", minutes=15, recipient_name="Ada Lovelace"),
    )
    assert delivered.status_code == 201, delivered.json()


def notices(session: Session, template_code: str) -> list[NotificationOutbox]:
    query = select(NotificationOutbox).where(NotificationOutbox.template_code == template_code)
    return list(session.scalars(query))


def test_arrive_then_deliver_moves_the_order_and_notifies_the_customer(client, session, settings):
    setup = make_tracked_route(session)

    deliver(client, settings, setup, 0)

    session.refresh(setup.orders[0])
    assert setup.orders[0].status is OrderStatus.DELIVERED
    delivered = notices(session, "order_delivered")
    assert [n.payload["tracking_code"] for n in delivered] == [setup.orders[0].tracking_code]
    on_the_way = notices(session, "courier_on_the_way")
    assert [n.payload["tracking_code"] for n in on_the_way] == [setup.orders[1].tracking_code]


def test_a_retry_with_the_same_client_event_id_returns_the_first_result(client, session, settings):
    setup = make_tracked_route(session)
    stop = setup.stops[0]
    body = event("arrived", "evt-1")

    first = post(client, settings, setup.user, stop.id, body)
    again = post(client, settings, setup.user, stop.id, body)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    rows = session.scalars(select(StopEvent).where(StopEvent.stop_id == stop.id)).all()
    assert len(rows) == 1


def test_a_client_event_id_reused_for_another_event_is_a_conflict(client, session, settings):
    setup = make_tracked_route(session)
    post(client, settings, setup.user, setup.stops[0].id, event("arrived", "evt-1"))

    response = post(client, settings, setup.user, setup.stops[1].id, event("arrived", "evt-1"))

    assert response.status_code == 409
    assert response.json()["code"] == "client_event_id_reused"


def test_delivered_before_arrived_is_refused_naming_the_state_and_event(client, session, settings):
    setup = make_tracked_route(session)

    response = post(
        client,
        settings,
        setup.user,
        setup.stops[0].id,
        event("delivered", "d1", recipient_name="Ada Lovelace"),
    )

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "illegal_stop_event"
    assert body["current_state"] == "pending"
    assert body["attempted_event"] == "delivered"


def test_nothing_is_allowed_after_a_terminal_state(client, session, settings):
    setup = make_tracked_route(session)
    deliver(client, settings, setup, 0)

    response = post(
        client,
        settings,
        setup.user,
        setup.stops[0].id,
        event("failed", "f1", failure_reason="refused"),
    )

    assert response.status_code == 409
    assert response.json()["current_state"] == "delivered"


def test_a_failed_attempt_fails_the_order_and_notifies_with_the_reason(client, session, settings):
    setup = make_tracked_route(session)

    response = post(
        client,
        settings,
        setup.user,
        setup.stops[0].id,
        event("failed", "f1", failure_reason="not_at_home"),
    )

    assert response.status_code == 201
    session.refresh(setup.orders[0])
    assert setup.orders[0].status is OrderStatus.FAILED
    failed = notices(session, "delivery_failed")
    assert [n.payload["failure_reason"] for n in failed] == ["not_at_home"]
    # The time the stop no longer takes may serve the rest of the day better: a replan is
    # proposed, once however many attempts fail in a row.
    replans = session.scalars(select(PlanJob).where(PlanJob.base_plan_id == setup.route.plan_id))
    assert [(j.trigger, j.kind.value) for j in replans] == [
        (ReplanTrigger.FAILED_ATTEMPT, "replan")
    ]


def test_the_route_is_done_when_every_stop_is(client, session, settings):
    setup = make_tracked_route(session, stops=2)

    deliver(client, settings, setup, 0)
    deliver(client, settings, setup, 1)

    session.refresh(setup.route)
    assert setup.route.status is RouteStatus.DONE


def test_another_couriers_stop_is_not_found(client, session, settings):
    setup = make_tracked_route(session)
    other = make_courier(session)
    other_user = session.get(User, other.user_id)
    assert other_user is not None

    response = post(client, settings, other_user, setup.stops[0].id, event("arrived", "x"))

    assert response.status_code == 404
    assert response.json()["code"] == "stop_not_found"


def test_events_wait_for_the_departure(client, session, settings):
    setup = make_tracked_route(session, departed=False)

    response = post(client, settings, setup.user, setup.stops[0].id, event("arrived", "a"))

    assert response.status_code == 409
    assert response.json()["code"] == "route_not_under_way"


def test_a_report_missing_its_proof_or_reason_is_422(client, session, settings):
    setup = make_tracked_route(session)
    stop_id = setup.stops[0].id
    post(client, settings, setup.user, stop_id, event("arrived", "a"))

    no_proof = post(client, settings, setup.user, stop_id, event("delivered", "d"))
    no_reason = post(client, settings, setup.user, stop_id, event("failed", "f"))
    bad_reason = post(
        client, settings, setup.user, stop_id, event("failed", "f", failure_reason="bored")
    )

    assert [r.status_code for r in (no_proof, no_reason, bad_reason)] == [422, 422, 422]
