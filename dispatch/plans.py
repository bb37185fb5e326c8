"""Plans and plan jobs: requesting a plan, storing a solved plan, reading plans back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import routing
from dispatch.depots import get_depot
from dispatch.errors import PlanJobNotFound, PlanNotFound
from dispatch.problem_builder import BuiltProblem
from infra.models import Order, Plan, PlanJob, PlanUnserved, Route, Stop
from infra.models.base import utcnow

CENTS_PER_CURRENCY = 100


def request_plan(
    session: Session,
    *,
    service_date: date,
    depot_id: int | None,
    requested_by_id: int | None,
    time_limit_s: int,
) -> PlanJob:
    """Queues a planning job for a day (and depot); a runner picks it up. Raises DepotNotFound."""
    if depot_id is not None:
        get_depot(session, depot_id)
    job = PlanJob(
        service_date=service_date,
        depot_id=depot_id,
        requested_by_id=requested_by_id,
        time_limit_s=time_limit_s,
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> PlanJob:
    """Raises PlanJobNotFound."""
    job = session.get(PlanJob, job_id)
    if job is None:
        raise PlanJobNotFound(f"plan job {job_id} does not exist", job_id=job_id)
    return job


def get_plan(session: Session, plan_id: int) -> Plan:
    """Raises PlanNotFound."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise PlanNotFound(f"plan {plan_id} does not exist", plan_id=plan_id)
    return plan


def list_plans(
    session: Session, *, service_date: date | None = None, depot_id: int | None = None
) -> list[Plan]:
    query = select(Plan).order_by(Plan.service_date.desc(), Plan.id.desc())
    if depot_id is not None:
        query = query.where(Plan.depot_id == depot_id)
    if service_date is not None:
        query = query.where(Plan.service_date == service_date)
    return list(session.scalars(query))


def orders_of(session: Session, plan: Plan) -> dict[int, Order]:
    """Every order a plan routes or leaves out, by id."""
    ids = {s.order_id for r in plan.routes for s in r.stops} | {u.order_id for u in plan.unserved}
    if not ids:
        return {}
    return {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(ids)))}


def store_plan(
    session: Session,
    built: BuiltProblem,
    solution: routing.Solution,
    *,
    depot_id: int | None,
    created_by_id: int | None,
) -> Plan:
    """A new draft plan holding `solution`: routes, stops, unserved orders and totals."""
    plan = Plan(
        service_date=built.clock.day,
        depot_id=depot_id,
        created_by_id=created_by_id,
        solver_status=solution.status[:64] or None,
        solver_objective=round(solution.cost * CENTS_PER_CURRENCY),
        solve_time_ms=round(solution.wall_time_s * 1000),
    )
    session.add(plan)
    write_solution(session, plan, built, solution)
    return plan


def write_solution(
    session: Session, plan: Plan, built: BuiltProblem, solution: routing.Solution
) -> None:
    """Makes the plan's routes, stops and unserved list say what `solution` says.

    A vehicle's route keeps its row (and id) across edits; emptied routes are removed.
    """
    clock = built.clock
    existing = {r.vehicle_id: r for r in plan.routes}
    tours = [t for t in solution.tours if t.arrivals]
    kept_vehicles = {built.vehicle_of[t.vehicle_id] for t in tours}
    for vehicle_id, route in existing.items():
        if vehicle_id not in kept_vehicles:
            plan.routes.remove(route)
    # A stop a replan carried over keeps its link to the first row of its visit while it stays
    # on the same vehicle: the events recorded there still count for it.
    origins = {
        (r.vehicle_id, s.order_id): s.origin_stop_id
        for r in plan.routes
        for s in r.stops
        if s.origin_stop_id is not None
    }
    for old in plan.routes:
        # Renumbered below; move out of the way of the unique (plan, sequence) pair first.
        old.sequence = -old.id
        old.stops.clear()
    session.flush()
    for sequence, tour in enumerate(tours, start=1):
        vehicle_id = built.vehicle_of[tour.vehicle_id]
        found = existing.get(vehicle_id)
        if found is None:
            route = Route(
                vehicle_id=vehicle_id, shift_id=built.shift_of_vehicle.get(tour.vehicle_id)
            )
            plan.routes.append(route)
        else:
            route = found
        route.sequence = sequence
        route.planned_start_at = clock.instant(tour.start_s)
        route.planned_end_at = clock.instant(tour.end_s)
        route.distance_m = tour.distance_m
        route.duration_s = tour.duration_s
        route.stops = [
            _stop(built, position, arrival) for position, arrival in enumerate(tour.arrivals, 1)
        ]
        for stop in route.stops:
            stop.origin_stop_id = origins.get((vehicle_id, stop.order_id))
    plan.unserved.clear()
    session.flush()
    plan.unserved = [
        PlanUnserved(
            order_id=built.order_of_visit[u.visit_id],
            reason_code=u.reason.value,
            reason_text=u.text[:500],
        )
        for u in solution.unassigned
    ]
    plan.total_distance_m = sum(t.distance_m for t in tours)
    plan.total_duration_s = sum(t.duration_s for t in tours)
    plan.total_cost_cents = round(solution.cost * CENTS_PER_CURRENCY)
    plan.orders_planned = sum(len(t.arrivals) for t in tours)
    plan.orders_unserved = len(solution.unassigned)
    session.flush()


def _stop(built: BuiltProblem, sequence: int, arrival: routing.Arrival) -> Stop:
    clock = built.clock
    weight_g, volume_cm3, parcels = (*arrival.load_after, 0, 0, 0)[:3]
    return Stop(
        order_id=built.order_of_visit[arrival.visit_id],
        sequence=sequence,
        planned_arrival_at=clock.instant(arrival.arrival_s),
        planned_service_start_at=clock.instant(arrival.service_start_s),
        planned_departure_at=clock.instant(arrival.departure_s),
        load_weight_g_after=weight_g,
        load_volume_cm3_after=volume_cm3,
        load_parcels_after=parcels,
    )


def job_finished(job: PlanJob, *, now: datetime | None = None) -> None:
    job.finished_at = now or utcnow()
    job.lease_owner = None
    job.lease_expires_at = None


def violations_text(violations: Sequence[routing.Violation]) -> str:
    shown = "; ".join(str(v) for v in violations[:5])
    more = len(violations) - 5
    return shown + (f"; and {more} more" if more > 0 else "")
