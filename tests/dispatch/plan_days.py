"""Small committed planning days for the plan job, edit and publish tests."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from dispatch import plans
from tests.factories import DAY, make_courier, make_depot, make_order, make_shift, make_vehicle

_days = itertools.count(1)


@dataclass
class SmallDay:
    day: date
    depot_id: int
    vehicle_ids: list[int]
    courier_ids: list[int]
    courier_user_ids: list[int]
    order_ids: list[int] = field(default_factory=list)


def progress_while(
    sessions: sessionmaker[Session], job_id: int, work: Callable[[], Any]
) -> list[int]:
    """The job's progress percent as read every 0.2 s while `work` runs."""
    seen: list[int] = []
    watching = threading.Event()

    def watch() -> None:
        while not watching.is_set():
            with sessions() as session:
                seen.append(plans.get_job(session, job_id).progress_percent)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        work()
    finally:
        watching.set()
        watcher.join()
    return seen


def next_day() -> date:
    """A day no other test of the committed database uses."""
    return DAY + timedelta(days=7 * next(_days))


def seed_small_day(
    sessions: sessionmaker[Session],
    *,
    orders: int = 10,
    vehicles: int = 2,
    day: date | None = None,
    vehicle_overrides: dict[str, Any] | None = None,
    order_overrides: dict[str, Any] | None = None,
) -> SmallDay:
    """One depot in Berlin, vans with a courier shift each, orders scattered around the centre."""
    day = day or next_day()
    with sessions() as session, session.begin():
        depot = make_depot(session, lat=52.52, lng=13.405)
        result = SmallDay(day, depot.id, [], [], [])
        for _ in range(vehicles):
            vehicle = make_vehicle(session, depot_id=depot.id, **(vehicle_overrides or {}))
            courier = make_courier(session, depot_id=depot.id)
            make_shift(session, courier, day=day, hours=(8, 18), vehicle=vehicle)
            result.vehicle_ids.append(vehicle.id)
            result.courier_ids.append(courier.id)
            result.courier_user_ids.append(courier.user_id)
        for k in range(orders):
            window = (9, 13) if k % 2 == 0 else (12, 17)
            order = make_order(
                session,
                day=day,
                window=window,
                depot_id=depot.id,
                lat=52.50 + 0.004 * (k % 7),
                lng=13.36 + 0.006 * (k % 5),
                **(order_overrides or {}),
            )
            result.order_ids.append(order.id)
    return result


def queue_plan_job(sessions: sessionmaker[Session], small: SmallDay, *, time_limit_s: int) -> int:
    """A committed plan job for the whole of the small day's depot."""
    with sessions() as session, session.begin():
        return plans.request_plan(
            session,
            service_date=small.day,
            depot_id=small.depot_id,
            requested_by_id=None,
            time_limit_s=time_limit_s,
        ).id
