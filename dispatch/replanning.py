"""Replanning a day after a vehicle went out of service: queue a job, build, store the result.

A replan never edits a plan in place. It re-solves the plan's undeparted work (its orders that
are still plannable, plus any new ones of the day) on the in-service vehicles whose routes
have not departed, warm-started from the plan's routes, and stores the outcome as the next
plan version. Departed routes are copied unchanged so the new version shows the whole day.
When the base plan was published, the new version is published at once (superseding it), so
couriers read their new routes from their manifests; a base draft gets a new draft next to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import routing
from dispatch import plans, publishing
from dispatch.errors import NothingToPlan
from dispatch.problem_builder import (
    PLANNABLE_STATUSES,
    BuiltProblem,
    PlanScope,
    build_problem,
    solver_vehicle_id,
    visit_id,
)
from infra.models import (
    JobStatus,
    Order,
    Plan,
    PlanJob,
    PlanStatus,
    Route,
    RouteStatus,
    Stop,
    Vehicle,
    VehicleStatus,
)
from infra.models.planning import JobKind

_LIVE_PLANS = (PlanStatus.DRAFT, PlanStatus.PUBLISHED)
_OPEN_JOBS = (JobStatus.QUEUED, JobStatus.RUNNING)


def queue_replans(
    session: Session,
    vehicle_id: int,
    *,
    day: date,
    reason: str,
    requested_by_id: int | None,
    time_limit_s: int,
) -> list[PlanJob]:
    """Queues a replan of each live plan of `day` (the published one and the newest draft per
    depot) in which the vehicle has a route that has not departed.

    Nothing is queued when the vehicle is in service, or a replan of that plan for that
    vehicle is already waiting or running.
    """
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.status is VehicleStatus.IN_SERVICE:
        return []
    affected = session.scalars(
        select(Plan)
        .join(Route, Route.plan_id == Plan.id)
        .where(
            Plan.service_date == day,
            Plan.status.in_(_LIVE_PLANS),
            Route.vehicle_id == vehicle_id,
            Route.status == RouteStatus.PLANNED,
        )
        .order_by(Plan.id.desc())
    )
    current: dict[tuple[int | None, PlanStatus], Plan] = {}
    for plan in affected:
        current.setdefault((plan.depot_id, plan.status), plan)
    jobs = []
    for plan in sorted(current.values(), key=lambda p: p.id):
        waiting = session.scalar(
            select(PlanJob.id).where(
                PlanJob.base_plan_id == plan.id,
                PlanJob.vehicle_id == vehicle_id,
                PlanJob.status.in_(_OPEN_JOBS),
            )
        )
        if waiting is not None:
            continue
        job = PlanJob(
            kind=JobKind.REPLAN,
            service_date=day,
            depot_id=plan.depot_id,
            base_plan_id=plan.id,
            vehicle_id=vehicle_id,
            reason=f"vehicle {vehicle.code} went out of service: {reason}"[:500],
            requested_by_id=requested_by_id,
            time_limit_s=time_limit_s,
        )
        session.add(job)
        jobs.append(job)
    session.flush()
    return jobs


@dataclass(frozen=True, slots=True)
class ReplanInput:
    built: BuiltProblem
    # The base plan's undeparted routes on the vehicles still available, as visit ids.
    initial_routes: Mapping[str, Sequence[str]]


def build_replan(session: Session, job: PlanJob, *, zone: ZoneInfo) -> ReplanInput:
    """The problem of a replan job: the base plan's day without its departed routes.

    Raises NothingToPlan (also when the base plan is no longer live).
    """
    base = _live_base(session, job)
    departed = [r for r in base.routes if r.status is not RouteStatus.PLANNED]
    busy_vehicles = {r.vehicle_id for r in departed}
    on_board = {s.order_id for r in departed for s in r.stops}
    scope = PlanScope(base.service_date, base.depot_id)
    vehicles = session.scalars(
        select(Vehicle.id).where(
            Vehicle.status == VehicleStatus.IN_SERVICE, Vehicle.id.not_in(busy_vehicles or {0})
        )
    )
    order_ids = session.scalars(
        select(Order.id).where(
            Order.service_date == base.service_date,
            Order.status.in_(PLANNABLE_STATUSES),
            Order.id.not_in(on_board or {0}),
        )
    )
    built = build_problem(
        session, scope, zone=zone, order_ids=list(order_ids), vehicle_ids=list(vehicles)
    )
    known = set(built.order_of_visit.values())
    available = set(built.vehicle_of.values())
    initial = {
        solver_vehicle_id(r.vehicle_id): [
            visit_id(s.order_id) for s in r.stops if s.order_id in known
        ]
        for r in base.routes
        if r.status is RouteStatus.PLANNED and r.vehicle_id in available
    }
    return ReplanInput(built, initial)


def _live_base(session: Session, job: PlanJob) -> Plan:
    base = session.get(Plan, job.base_plan_id) if job.base_plan_id is not None else None
    if base is None or base.status not in _LIVE_PLANS:
        state = "gone" if base is None else base.status.value
        raise NothingToPlan(
            f"plan {job.base_plan_id} is {state}; there is nothing to replan",
            plan_id=job.base_plan_id,
        )
    return base


def store_replan(
    session: Session,
    job: PlanJob,
    built: BuiltProblem,
    solution: routing.Solution,
    *,
    now: datetime,
) -> Plan:
    """Stores the replan as the next version of its base plan and reports on the vehicle's orders.

    Raises NothingToPlan when the base plan stopped being live while the job ran.
    """
    base = _live_base(session, job)
    plan = plans.store_plan(
        session, built, solution, depot_id=base.depot_id, created_by_id=job.requested_by_id
    )
    _copy_departed(session, base, plan)
    job.outcome = _outcome(session, base, plan, job.vehicle_id)
    if base.status is PlanStatus.PUBLISHED:
        publishing.publish_plan(session, plan.id, now=now)
    session.flush()
    return plan


def _copy_departed(session: Session, base: Plan, plan: Plan) -> None:
    sequence = len(plan.routes)
    for old in base.routes:
        if old.status is RouteStatus.PLANNED:
            continue
        sequence += 1
        plan.routes.append(
            Route(
                vehicle_id=old.vehicle_id,
                courier_id=old.courier_id,
                shift_id=old.shift_id,
                sequence=sequence,
                planned_start_at=old.planned_start_at,
                planned_end_at=old.planned_end_at,
                distance_m=old.distance_m,
                duration_s=old.duration_s,
                status=old.status,
                departed_at=old.departed_at,
                finished_at=old.finished_at,
                stops=[
                    Stop(
                        order_id=s.order_id,
                        sequence=s.sequence,
                        planned_arrival_at=s.planned_arrival_at,
                        planned_service_start_at=s.planned_service_start_at,
                        planned_departure_at=s.planned_departure_at,
                        load_weight_g_after=s.load_weight_g_after,
                        load_volume_cm3_after=s.load_volume_cm3_after,
                        load_parcels_after=s.load_parcels_after,
                    )
                    for s in old.stops
                ],
            )
        )
        plan.total_distance_m += old.distance_m
        plan.total_duration_s += old.duration_s
        plan.orders_planned += len(old.stops)
    session.flush()


def _outcome(session: Session, base: Plan, plan: Plan, vehicle_id: int | None) -> str:
    moved_from = [s.order_id for r in base.routes if r.vehicle_id == vehicle_id for s in r.stops]
    routed = {s.order_id for r in plan.routes for s in r.stops}
    unserved = {u.order_id: u for u in plan.unserved}
    lines = []
    for order_id in moved_from:
        if order_id in routed:
            continue
        order = session.get(Order, order_id)
        name = (order.reference or order.tracking_code) if order else str(order_id)
        why = unserved.get(order_id)
        if why is not None:
            lines.append(f"order {name} ({order_id}): {why.reason_code}: {why.reason_text}")
        else:
            state = order.status.value if order else "gone"
            lines.append(f"order {name} ({order_id}): not plannable any more ({state})")
    moved = len(moved_from) - len(lines)
    head = f"{moved} of {len(moved_from)} orders of the vehicle were re-assigned"
    return "\n".join([head + (":" if lines else "."), *lines]) if lines else head + "."
