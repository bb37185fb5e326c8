"""Publishing tells customers their window: once, and again only when it changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from dispatch import publishing
from infra.models import (
    NotificationOutbox,
    Order,
    OrderStatus,
    OrderWindow,
    Plan,
    PlanStatus,
    Route,
    Stop,
)
from tests.factories import DAY, ZONE, make_depot, make_order, make_vehicle
from tracking import notifications

NOW = datetime.combine(DAY, time(7), tzinfo=ZONE)


def local(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour, minute), tzinfo=ZONE)


def draft(session, depot, vehicle, visits: list[tuple[Order, datetime]]) -> Plan:
    """A draft plan of one route visiting each order at the given service start."""
    plan = Plan(service_date=DAY, depot_id=depot.id, status=PlanStatus.DRAFT)
    route = Route(
        plan=plan,
        vehicle_id=vehicle.id,
        sequence=1,
        planned_start_at=local(8),
        planned_end_at=local(18),
        distance_m=10_000,
        duration_s=3600,
    )
    for k, (order, service_at) in enumerate(visits, start=1):
        route.stops.append(
            Stop(
                order_id=order.id,
                sequence=k,
                planned_arrival_at=service_at,
                planned_service_start_at=service_at,
                planned_departure_at=service_at + timedelta(minutes=5),
                load_weight_g_after=0,
                load_volume_cm3_after=0,
                load_parcels_after=0,
            )
        )
    session.add(plan)
    session.flush()
    return plan


def told(session, order: Order) -> list[list[str] | None]:
    rows = session.scalars(
        select(NotificationOutbox)
        .where(
            NotificationOutbox.order_id == order.id,
            NotificationOutbox.template_code == notifications.PLAN_PUBLISHED,
        )
        .order_by(NotificationOutbox.id)
    )
    return [row.payload["window"] for row in rows]


def window(start: datetime, end: datetime) -> list[str]:
    return [start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()]


def two_window_order(session, depot, **overrides) -> Order:
    return make_order(
        session,
        window=None,
        depot_id=depot.id,
        recipient_email="ada@example.org",
        windows=[
            OrderWindow(starts_at=local(9), ends_at=local(12)),
            OrderWindow(starts_at=local(14), ends_at=local(16)),
        ],
        **overrides,
    )


def test_the_first_publication_tells_each_customer_the_window_the_plan_chose(session):
    depot, vehicle = make_depot(session), make_vehicle(session)
    morning, afternoon = two_window_order(session, depot), two_window_order(session, depot)
    silent = make_order(session, depot_id=depot.id)  # no e-mail, no phone
    plan = draft(
        session, depot, vehicle, [(morning, local(10)), (afternoon, local(15)), (silent, local(11))]
    )

    publishing.publish_plan(session, plan.id, now=NOW)

    assert told(session, morning) == [window(local(9), local(12))]
    assert told(session, afternoon) == [window(local(14), local(16))]
    assert told(session, silent) == []
    [row] = session.scalars(
        select(NotificationOutbox).where(NotificationOutbox.order_id == morning.id)
    )
    assert (row.channel, row.recipient) == ("email", "ada@example.org")
    assert row.created_at == NOW


def test_a_republication_tells_only_new_orders_and_changed_windows(session):
    depot, vehicle = make_depot(session), make_vehicle(session)
    same, moved_a_little, moved_window = (two_window_order(session, depot) for _ in range(3))
    first = draft(
        session,
        depot,
        vehicle,
        [(same, local(9, 30)), (moved_a_little, local(10)), (moved_window, local(11))],
    )
    publishing.publish_plan(session, first.id, now=NOW)
    newcomer = two_window_order(session, depot)

    second = draft(
        session,
        depot,
        vehicle,
        [
            (same, local(9, 30)),
            (moved_a_little, local(10, 40)),  # still in the morning window
            (moved_window, local(14, 30)),
            (newcomer, local(15)),
        ],
    )
    publishing.publish_plan(session, second.id, now=NOW + timedelta(minutes=5))

    assert len(told(session, same)) == 1
    assert len(told(session, moved_a_little)) == 1
    assert told(session, moved_window) == [
        window(local(9), local(12)),
        window(local(14), local(16)),
    ]
    assert told(session, newcomer) == [window(local(14), local(16))]

    third = draft(
        session,
        depot,
        vehicle,
        [(same, local(9, 30)), (moved_a_little, local(10, 40)), (moved_window, local(14, 30))],
    )
    publishing.publish_plan(session, third.id, now=NOW + timedelta(minutes=10))
    fourth = draft(
        session,
        depot,
        vehicle,
        [(same, local(9, 30)), (moved_a_little, local(10, 40)), (moved_window, local(14, 30))],
    )
    publishing.publish_plan(session, fourth.id, now=NOW + timedelta(minutes=15))

    # Identical windows: nothing new, however often the plan is republished.
    assert [len(told(session, o)) for o in (same, moved_a_little, moved_window)] == [1, 1, 2]


def test_an_order_already_under_way_is_not_told_a_plan_window(session):
    depot, vehicle = make_depot(session), make_vehicle(session)
    driving = two_window_order(session, depot, status=OrderStatus.OUT_FOR_DELIVERY)
    plan = draft(session, depot, vehicle, [(driving, local(10))])

    publishing.publish_plan(session, plan.id, now=NOW)

    assert told(session, driving) == []


def test_an_order_planned_outside_its_windows_is_told_the_planned_time_rounded(session):
    depot, vehicle = make_depot(session), make_vehicle(session)
    late = two_window_order(session, depot)
    anytime = make_order(session, window=None, depot_id=depot.id, recipient_phone="+49 30 1")
    plan = draft(session, depot, vehicle, [(late, local(16, 38)), (anytime, local(13))])

    publishing.publish_plan(session, plan.id, now=NOW)

    assert told(session, late) == [window(local(16, 45), local(16, 45))]
    assert told(session, anytime) == [None]
