"""Delivery slots: windows judged by inserting the stop into the routes as planned now."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

import routing
from dispatch import plans, slot_booking, slots
from dispatch.errors import SlotUnavailable
from dispatch.problem_builder import PlanScope, build_problem
from infra.models import PlanStatus, RouteStatus
from infra.settings import OperationSettings, SlotSettings
from orders.drafts import OrderDraft, ParcelDraft, WindowDraft
from tests.factories import (
    DAY,
    ZONE,
    make_courier,
    make_depot,
    make_order,
    make_shift,
    make_vehicle,
)

OPERATION = OperationSettings(timezone="Europe/Berlin", cutoff=time(18))
SLOTS = SlotSettings()
MORNING = datetime.combine(DAY, time(9), tzinfo=ZONE)
TOMORROW = DAY + timedelta(days=1)
NEAR = (52.51, 13.39)


class PlannedDay:
    """Two vans with a shift 8-18 and three stops each, planned as a draft."""

    def __init__(self, session, *, max_parcels: int = 120) -> None:
        self.depot = make_depot(session)
        self.vans = [
            make_vehicle(session, depot_id=self.depot.id, max_parcels=max_parcels) for _ in range(2)
        ]
        for van in self.vans:
            make_shift(session, make_courier(session), vehicle=van, hours=(8, 18))
        self.orders = [
            make_order(
                session,
                depot_id=self.depot.id,
                window=(10, 17),
                lat=52.50 + 0.005 * k,
                lng=13.38 + 0.004 * k,
            )
            for k in range(6)
        ]
        built = build_problem(session, PlanScope(DAY, self.depot.id), zone=ZONE)
        solution = routing.evaluate(
            built.problem,
            {
                built.solver_vehicle_id(van.id): [
                    built.visit_id(o.id) for o in self.orders[3 * k : 3 * k + 3]
                ]
                for k, van in enumerate(self.vans)
            },
        )
        assert routing.validate(built.problem, solution) == []
        self.plan = plans.store_plan(
            session, built, solution, depot_id=self.depot.id, created_by_id=None
        )


def request(parcels: int = 1) -> slots.SlotRequest:
    return slots.SlotRequest(
        lat=NEAR[0],
        lng=NEAR[1],
        weight_g=2000 * parcels,
        volume_cm3=0,
        parcels=parcels,
        service_s=300,
    )


def offers(
    session, *, now: datetime = MORNING, parcels: int = 1
) -> dict[date, dict[str, slots.SlotOffer]]:
    days = slots.offer_slots(session, request(parcels), now=now, operation=OPERATION, slots=SLOTS)
    return {d.service_date: {f"{o.start:%H}-{o.end:%H}": o for o in d.offers} for d in days}


def book(session, *, depot_id: int | None = None) -> slot_booking.Booking:
    """Books 13-15 today for a parcel near the depot."""
    draft = OrderDraft(
        recipient_name="Grace Hopper",
        parcels=(ParcelDraft(weight_g=3000, volume_cm3=1000, count=1),),
        lat=NEAR[0],
        lng=NEAR[1],
        depot_id=depot_id,
    )
    return slot_booking.book_slot(
        session,
        draft,
        service_date=DAY,
        window=WindowDraft(time(13), time(15)),
        now=MORNING,
        operation=OPERATION,
        slots=SLOTS,
        geocoder=None,
    )


def test_windows_of_a_planned_day_are_offered_with_the_cheapest_route(session):
    day = PlannedDay(session)

    today = offers(session)[DAY]

    assert today["09-11"].reason is slots.SlotRefusal.PAST
    assert today["11-13"].available
    route = today["11-13"].route
    assert route is not None
    assert route.plan_id == day.plan.id
    assert route.route_id in {r.id for r in day.plan.routes}
    start = route.service_start_at.astimezone(ZONE)
    assert time(11) <= start.time() <= time(13)
    # The vans' shifts end at 18:00, back at the depot.
    assert today["19-21"].reason is slots.SlotRefusal.NO_ROUTE_CAN_REACH


def test_the_next_operating_day_without_a_plan_is_judged_by_the_fleet(session):
    PlannedDay(session)

    tomorrow = offers(session)[TOMORROW]

    # No shifts tomorrow: the vans' default hours (8-18) apply.
    assert tomorrow["09-11"].available
    assert tomorrow["09-11"].route is not None
    assert tomorrow["09-11"].route.plan_id is None
    assert tomorrow["19-21"].reason is slots.SlotRefusal.NO_ROUTE_CAN_REACH


def test_full_routes_refuse_for_capacity(session):
    PlannedDay(session, max_parcels=3)

    today = offers(session)[DAY]

    assert today["11-13"].reason is slots.SlotRefusal.CAPACITY


def test_a_route_under_way_takes_no_new_stop(session):
    day = PlannedDay(session)
    for route in day.plan.routes:
        route.status = RouteStatus.DEPARTED
    session.flush()

    today = offers(session)[DAY]

    # Only vans of other tests' depots could take it; none of this plan's routes is offered.
    assert all(o.route is None or o.route.plan_id != day.plan.id for o in today.values())


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime.combine(DAY, time(18), tzinfo=ZONE), slots.SlotRefusal.PAST_CUTOFF),
        (datetime.combine(DAY, time(19, 30), tzinfo=ZONE), slots.SlotRefusal.PAST),
    ],
)
def test_today_is_closed_after_the_cutoff(session, now, expected):
    PlannedDay(session)

    today = offers(session, now=now)[DAY]

    assert today["19-21"].reason is expected
    assert not any(o.available for o in today.values())


def test_a_booked_slot_is_honoured_by_the_next_plan(session):
    day = PlannedDay(session)

    booking = book(session, depot_id=day.depot.id)

    order = booking.intake.order
    assert order.service_date == DAY
    assert [(w.starts_at, w.ends_at) for w in order.windows] == [
        (
            datetime.combine(DAY, time(13), tzinfo=ZONE),
            datetime.combine(DAY, time(15), tzinfo=ZONE),
        )
    ]
    built = build_problem(session, PlanScope(DAY, day.depot.id), zone=ZONE)
    solution = routing.solve(built.problem, time_limit_s=2, seed=0)
    assert routing.validate(built.problem, solution) == []
    arrival = next(
        a for t in solution.tours for a in t.arrivals if a.visit_id == built.visit_id(order.id)
    )
    assert built.clock.wall_seconds(time(13)) <= arrival.service_start_s
    assert arrival.service_start_s <= built.clock.wall_seconds(time(15))


def test_booking_refuses_a_slot_that_can_no_longer_be_kept(session):
    PlannedDay(session, max_parcels=3)

    with pytest.raises(SlotUnavailable) as refused:
        book(session)

    assert refused.value.ids["reason"] == "capacity"


def test_the_last_room_on_the_routes_is_booked_once(session):
    day = PlannedDay(session, max_parcels=4)  # one parcel more than each van carries

    first, second = book(session), book(session)
    with pytest.raises(SlotUnavailable) as refused:
        book(session)

    vehicles = {b.offer.route.vehicle_id for b in (first, second) if b.offer.route is not None}
    assert vehicles == {v.id for v in day.vans}
    assert first.intake.order.depot_id == day.depot.id
    assert refused.value.ids["reason"] == "capacity"
    assert offers(session)[DAY]["11-13"].reason is slots.SlotRefusal.CAPACITY


def test_published_plan_is_preferred_to_a_newer_draft(session):
    day = PlannedDay(session)
    day.plan.status = PlanStatus.PUBLISHED
    session.flush()

    today = offers(session)[DAY]

    assert today["11-13"].route is not None
    assert today["11-13"].route.plan_id == day.plan.id
