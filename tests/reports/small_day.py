"""A small hand-made operating day whose KPIs are worked out by hand in test_kpis.py.

One depot, one van (40 kg) with one courier on a 08:00-17:00 shift, a published plan with one
route (42 km, 6 h planned) that departed at 09:00 and finished at 14:00 local time:

| order | windows | what happened | feedback |
| --- | --- | --- | --- |
| o1 | 9-12 | arrived 09:55, delivered 10:00 (on time) | 5 |
| o2 | 9-12 | delivered 12:30 (30 min late) | 3 |
| o3 | 9-12 | failed 11:00, not_at_home | |
| o4 | 9-10, 14-15 | delivered 13:00 (between windows: 180 min after the first) | |
| o6 | 9-12 | failed 13:30, address_not_found | |
| o5 | 9-12 | left out of the plan: capacity | |

Pings at 08:00 (before departure, not driven), 09:00, 09:30, 10:00 moving 0.01 degrees of
latitude each. ETAs for o1: predicted at 09:00 for 10:05, at 09:20 for 10:00, at 09:40 for
09:57; for o2 at 11:00 for 12:10. Inspections: one passed; one failed and then corrected by one
that passed. Holds: a temperature excursion holding two orders, a manual hold holding none.
A newer draft plan of the same day (99 km) is not the day's plan.

Complaints (opened, closed): about o2, late, 13:00, resolved 15:00; about o4, damaged, 14:00,
rejected 18:00; about o1, 15:00, due 16:00 and still open (overdue); about o5 (never visited,
no courier), 16:00, due the next day; about o2, opened the evening before at 20:00 and
resolved at 10:00 (14 h). Compensation: 100 points for o2 (12:31), a 5.00 discount for o4
(13:01), 50 points by hand for o1 (15:00), and a 10.00 discount for o6 that was voided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from infra.models import (
    Compensation,
    CompensationKind,
    CompensationStatus,
    Complaint,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    FailureReason,
    Feedback,
    Hold,
    HoldReason,
    Inspection,
    LiveEvent,
    OrderHold,
    OrderStatus,
    OrderWindow,
    Plan,
    PlanUnserved,
    PositionPing,
    Route,
    RouteStatus,
    StopEvent,
    StopEventKind,
)
from tests.factories import (
    DAY,
    ZONE,
    make_batch,
    make_courier,
    make_depot,
    make_order,
    make_published_route,
    make_shift,
    make_vehicle,
    make_zone,
)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


@dataclass(frozen=True)
class SmallDay:
    day: date
    depot_code: str
    courier_name: str
    route_id: int
    plan_id: int


def build_small_day(session: Session, *, day: date = DAY) -> SmallDay:
    depot = make_depot(session)
    vehicle = make_vehicle(session, depot_id=depot.id, max_weight_g=40_000)
    courier = make_courier(session, depot_id=depot.id)
    shift = make_shift(session, courier, day=day, vehicle=vehicle)

    def order(**overrides: Any) -> Any:
        return make_order(session, day=day, depot_id=depot.id, **overrides)

    o1, o2, o3, o6 = (order() for _ in range(4))
    o4 = order(
        window=None,
        windows=[
            OrderWindow(starts_at=at(9, day=day), ends_at=at(10, day=day)),
            OrderWindow(starts_at=at(14, day=day), ends_at=at(15, day=day)),
        ],
    )
    o5 = order()
    route = make_published_route(
        session, vehicle=vehicle, courier=courier, orders=[o1, o2, o3, o4, o6], day=day
    )
    route.shift_id = shift.id
    route.status = RouteStatus.DONE
    route.departed_at = at(9, day=day)
    route.finished_at = at(14, day=day)
    route.plan.unserved.append(
        PlanUnserved(order_id=o5.id, reason_code="capacity", reason_text="no room")
    )
    stops = {s.order_id: s for s in route.stops}

    def event(o: Any, kind: StopEventKind, hour: int, minute: int = 0, **more: Any) -> None:
        session.add(
            StopEvent(
                stop_id=stops[o.id].id,
                route_id=route.id,
                order_id=o.id,
                courier_id=courier.id,
                client_event_id=f"{kind.value}-{o.id}",
                kind=kind,
                occurred_at=at(hour, minute, day=day),
                **more,
            )
        )

    event(o1, StopEventKind.ARRIVED, 9, 55)
    event(o1, StopEventKind.DELIVERED, 10)
    event(o3, StopEventKind.FAILED, 11, failure_reason=FailureReason.NOT_AT_HOME)
    event(o2, StopEventKind.DELIVERED, 12, 30)
    event(o4, StopEventKind.DELIVERED, 13)
    event(o6, StopEventKind.FAILED, 13, 30, failure_reason=FailureReason.ADDRESS_NOT_FOUND)
    for o, status in ((o1, "delivered"), (o2, "delivered"), (o3, "failed"), (o4, "delivered")):
        o.status = OrderStatus(status)
    for hour, minute, lat in ((8, 0, 52.60), (9, 0, 52.50), (9, 30, 52.51), (10, 0, 52.52)):
        session.add(
            PositionPing(
                courier_id=courier.id, device_at=at(hour, minute, day=day), lat=lat, lng=13.40
            )
        )

    def etas(o: Any, computed: tuple[int, int], eta: tuple[int, int]) -> None:
        stop = {"order_id": o.id, "stop_id": stops[o.id].id, "eta_at": at(*eta, day=day)}
        session.add(
            LiveEvent(
                kind="etas",
                service_date=day,
                route_id=route.id,
                payload={
                    "computed_at": at(*computed, day=day).isoformat(),
                    "stops": [stop | {"eta_at": stop["eta_at"].isoformat()}],
                },
            )
        )

    etas(o1, (9, 0), (10, 5))
    etas(o1, (9, 20), (10, 0))
    etas(o1, (9, 40), (9, 57))
    etas(o2, (11, 0), (12, 10))

    def inspection(passed: bool, corrects: Inspection | None = None) -> Inspection:
        log = Inspection(
            vehicle_id=vehicle.id,
            courier_id=courier.id,
            day=day,
            performed_at=at(8, day=day),
            odometer_km=1000,
            passed=passed,
            critical_failed=not passed,
            corrects_id=corrects.id if corrects else None,
        )
        session.add(log)
        session.flush()
        return log

    inspection(True)
    inspection(True, corrects=inspection(False))

    batch = make_batch(session, make_zone(session, depot))
    excursion = Hold(
        batch_id=batch.id, reason=HoldReason.TEMPERATURE_EXCURSION, placed_at=at(7, day=day)
    )
    manual = Hold(batch_id=batch.id, reason=HoldReason.MANUAL, placed_at=at(7, 30, day=day))
    session.add_all([excursion, manual])
    session.flush()
    for _ in range(2):
        held = order(status=OrderStatus.HELD)
        session.add(
            OrderHold(
                hold_id=excursion.id,
                order_id=held.id,
                previous_status=OrderStatus.PLANNABLE,
                held_at=at(7, day=day),
            )
        )
    session.add_all([Feedback(order_id=o1.id, rating=5), Feedback(order_id=o2.id, rating=3)])
    _customer_service(session, day, o1=o1, o2=o2, o4=o4, o5=o5, o6=o6)
    draft = Plan(service_date=day, depot_id=None)
    session.add(draft)
    session.flush()
    session.add(
        Route(
            plan_id=draft.id,
            vehicle_id=vehicle.id,
            sequence=1,
            planned_start_at=at(8, day=day),
            planned_end_at=at(16, day=day),
            distance_m=99_000,
            duration_s=8 * 3600,
        )
    )
    session.flush()
    return SmallDay(day, depot.code, courier.name, route.id, route.plan_id)


def _customer_service(session: Session, day: date, **orders: Any) -> None:
    def complaint(
        o: Any,
        category: ComplaintCategory,
        opened: datetime,
        closed: tuple[ComplaintStatus, datetime] | None = None,
        due_h: int = 24,
    ) -> None:
        status, closed_at = closed or (ComplaintStatus.OPEN, None)
        session.add(
            Complaint(
                order_id=o.id,
                category=category,
                description="about my parcel",
                source=ComplaintSource.CUSTOMER,
                status=status,
                due_at=opened + timedelta(hours=due_h),
                created_at=opened,
                updated_at=closed_at or opened,
                closed_at=closed_at,
            )
        )

    late, damaged, other = (
        ComplaintCategory.LATE,
        ComplaintCategory.DAMAGED,
        ComplaintCategory.OTHER,
    )
    resolved, rejected = ComplaintStatus.RESOLVED, ComplaintStatus.REJECTED
    o1, o2, o4, o5, o6 = (orders[name] for name in ("o1", "o2", "o4", "o5", "o6"))
    complaint(o2, late, at(13, day=day), (resolved, at(15, day=day)))
    complaint(o4, damaged, at(14, day=day), (rejected, at(18, day=day)))
    complaint(o1, other, at(15, day=day), due_h=1)
    complaint(o5, late, at(16, day=day))
    the_eve = day - timedelta(days=1)
    complaint(o2, late, at(20, day=the_eve), (resolved, at(10, day=day)))

    def compensation(o: Any, rule: str | None, issued: datetime, **award: Any) -> Compensation:
        paid = Compensation(
            order_id=o.id,
            customer_key=f"order:{o.tracking_code}",
            rule=rule,
            kind=award.pop("kind", CompensationKind.BONUS_POINTS),
            reason="breach",
            status=CompensationStatus.ISSUED,
            issued_at=issued,
            **award,
        )
        session.add(paid)
        return paid

    code = CompensationKind.DISCOUNT_CODE
    compensation(o2, "late_delivery", at(12, 31, day=day), points=100)
    compensation(o4, "late_delivery", at(13, 1, day=day), kind=code, amount_cents=500)
    compensation(o1, None, at(15, day=day), points=50)
    voided = compensation(o6, "failed_attempt", at(13, 31, day=day), kind=code, amount_cents=1000)
    voided.status, voided.voided_at = CompensationStatus.VOIDED, at(16, day=day)
