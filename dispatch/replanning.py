"""Replanning a live day: queue a job, store its outcome as a proposal, accept or reject it.

A replan never edits a plan in place. A job re-solves the base plan's remaining work from the
state of the road (`tracking.live_replan` builds that problem) and stores the outcome as a new
draft version of the plan, with the difference it makes (`replan_diff`). Depending on what set
it off, the draft is applied at once (a vehicle out of service cannot wait) or proposed to the
dispatcher, who accepts or rejects it. Applying a replan of a published plan publishes the new
version, so couriers read their new routes from their manifests, and tells the customers whose
ETA moved. Stops already done, and routes under way, are carried into the new version as they
happened, keeping their link to the first row of each visit (`Stop.origin_stop_id`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import routing
from dispatch import plans, publishing
from dispatch.errors import NothingToPlan, ReplanNotDecidable, ReplanNotFound
from dispatch.replan_diff import replan_diff
from infra import live_events
from infra.models import (
    JobStatus,
    Order,
    Plan,
    PlanJob,
    PlanStatus,
    PlanUnserved,
    ReplanDecision,
    ReplanTrigger,
    Route,
    RouteStatus,
    Stop,
    Vehicle,
    VehicleStatus,
)
from infra.models.planning import JobKind
from infra.settings import ReplanSettings
from tracking import notifications

if TYPE_CHECKING:
    from tracking.live_replan import CarriedRoute, ReplanInput

LIVE_PLANS = (PlanStatus.DRAFT, PlanStatus.PUBLISHED)
_OPEN_JOBS = (JobStatus.QUEUED, JobStatus.RUNNING)
# Triggers that may fire often (every ping can make a stop late): at most one replan per plan
# within the configured interval.
_DEBOUNCED = (ReplanTrigger.LATE, ReplanTrigger.FAILED_ATTEMPT)
STRANDED = "stranded_on_vehicle_out_of_service"


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
    depot) in which the vehicle has a route that is not done.

    Nothing is queued when the vehicle is in service, or a replan of that plan is already
    waiting or running.
    """
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.status is VehicleStatus.IN_SERVICE:
        return []
    affected = session.scalars(
        select(Plan)
        .join(Route, Route.plan_id == Plan.id)
        .where(
            Plan.service_date == day,
            Plan.status.in_(LIVE_PLANS),
            Route.vehicle_id == vehicle_id,
            Route.status != RouteStatus.DONE,
        )
        .order_by(Plan.id.desc())
    )
    current: dict[tuple[int | None, PlanStatus], Plan] = {}
    for plan in affected:
        current.setdefault((plan.depot_id, plan.status), plan)
    jobs = []
    for plan in sorted(current.values(), key=lambda p: p.id):
        job = queue_replan(
            session,
            plan,
            trigger=ReplanTrigger.VEHICLE_OUT,
            reason=f"vehicle {vehicle.code} went out of service: {reason}",
            requested_by_id=requested_by_id,
            time_limit_s=time_limit_s,
            vehicle_id=vehicle_id,
        )
        if job is not None:
            jobs.append(job)
    return jobs


def queue_replan(
    session: Session,
    base: Plan,
    *,
    trigger: ReplanTrigger,
    reason: str,
    requested_by_id: int | None,
    time_limit_s: int,
    vehicle_id: int | None = None,
    now: datetime | None = None,
    min_interval_s: int = 0,
) -> PlanJob | None:
    """Queues a replan of a live plan; None when one is already waiting or running for it (it
    will see the same state), or a debounced trigger fired within `min_interval_s` of the
    last replan of that plan."""
    if base.status not in LIVE_PLANS:
        return None
    waiting = session.scalar(
        select(PlanJob.id).where(PlanJob.base_plan_id == base.id, PlanJob.status.in_(_OPEN_JOBS))
    )
    if waiting is not None:
        return None
    if trigger in _DEBOUNCED and now is not None and min_interval_s:
        recent = session.scalar(
            select(PlanJob.id).where(
                PlanJob.base_plan_id == base.id,
                PlanJob.kind == JobKind.REPLAN,
                PlanJob.created_at > now - timedelta(seconds=min_interval_s),
            )
        )
        if recent is not None:
            return None
    job = PlanJob(
        kind=JobKind.REPLAN,
        service_date=base.service_date,
        depot_id=base.depot_id,
        base_plan_id=base.id,
        vehicle_id=vehicle_id,
        trigger=trigger,
        reason=reason[:500],
        requested_by_id=requested_by_id,
        time_limit_s=time_limit_s,
    )
    if now is not None:
        job.created_at = now
    session.add(job)
    session.flush()
    return job


def replan_for_new_orders(
    session: Session, orders: Iterable[Order], *, now: datetime, settings: ReplanSettings
) -> list[PlanJob]:
    """Orders for a day whose plan is already published (urgent orders taken during the day)
    ask for a replan of that plan, one per plan however many orders came together."""
    jobs = []
    for day, depot_id in sorted({(o.service_date, o.depot_id) for o in orders}, key=str):
        base = published_plan_of(session, day, depot_id) or published_plan_of(session, day, None)
        if base is None:
            continue  # the day's first plan will take them
        job = queue_replan(
            session,
            base,
            trigger=ReplanTrigger.URGENT_ORDER,
            reason=f"new orders for {day} after the plan was published",
            requested_by_id=None,
            time_limit_s=settings.time_limit_s,
            now=now,
        )
        if job is not None:
            jobs.append(job)
    return jobs


def propose_replan(
    session: Session,
    plan_id: int,
    *,
    trigger: ReplanTrigger,
    reason: str,
    now: datetime,
    settings: ReplanSettings,
) -> PlanJob | None:
    """Something on the road (a failed attempt, stops projected late) may make a better plan
    possible: propose a replan of the published plan, at most one per configured interval,
    since such signals come in bursts."""
    base = session.get(Plan, plan_id)
    if base is None or base.status is not PlanStatus.PUBLISHED:
        return None
    return queue_replan(
        session,
        base,
        trigger=trigger,
        reason=reason,
        requested_by_id=None,
        time_limit_s=settings.time_limit_s,
        now=now,
        min_interval_s=settings.min_interval_s,
    )


def published_plan_of(session: Session, day: date, depot_id: int | None) -> Plan | None:
    """The plan couriers drive on `day` from the depot (or the all-depot plan)."""
    depot_match = Plan.depot_id.is_(None) if depot_id is None else Plan.depot_id == depot_id
    return session.scalars(
        select(Plan).where(
            Plan.service_date == day, depot_match, Plan.status == PlanStatus.PUBLISHED
        )
    ).first()


def live_base(session: Session, job: PlanJob) -> Plan:
    """The plan a replan job starts from. Raises NothingToPlan when it is no longer live."""
    base = session.get(Plan, job.base_plan_id) if job.base_plan_id is not None else None
    if base is None or base.status not in LIVE_PLANS:
        state = "gone" if base is None else base.status.value
        raise NothingToPlan(
            f"plan {job.base_plan_id} is {state}; there is nothing to replan",
            plan_id=job.base_plan_id,
        )
    return base


def store_replan(
    session: Session,
    job: PlanJob,
    replan: ReplanInput,
    solution: routing.Solution,
    *,
    now: datetime,
    settings: ReplanSettings,
) -> Plan:
    """Stores the replan as the next version of its base plan, with its difference, and applies
    it when its trigger is auto-applied (else it waits for the dispatcher).

    Raises NothingToPlan when the base plan stopped being live while the job ran.
    """
    base = live_base(session, job)
    built = replan.built
    plan = plans.store_plan(
        session, built, solution, depot_id=base.depot_id, created_by_id=job.requested_by_id
    )
    plan.base_plan_id = base.id
    for carried in replan.carried.values():
        _carry(session, plan, carried)
    for order_id, why in replan.stranded.items():
        plan.unserved.append(PlanUnserved(order_id=order_id, reason_code=STRANDED, reason_text=why))
    plan.orders_unserved = len(plan.unserved)
    before = routing.evaluate(built.problem, replan.initial_routes)
    open_orders = set(built.order_of_visit.values()) | set(replan.stranded)
    job.diff = replan_diff(
        built,
        before,
        solution,
        planned_vehicle_of={
            s.order_id: r.vehicle_id
            for r in base.routes
            for s in r.stops
            if s.order_id in open_orders
        },
        eta_change_s=settings.eta_change_notice_s,
    )
    job.outcome = (
        _vehicle_outcome(session, base, plan, job.vehicle_id)
        if job.trigger is ReplanTrigger.VEHICLE_OUT
        else job.diff["summary"]
    )
    session.flush()
    if job.trigger in settings.auto_apply_triggers or base.status is PlanStatus.DRAFT:
        job.plan_id = plan.id
        _apply(session, job, plan, base, decision=ReplanDecision.APPLIED, by_id=None, now=now)
    else:
        live_events.record(
            session,
            "replan_proposed",
            {
                "job_id": job.id,
                "plan_id": plan.id,
                "base_plan_id": base.id,
                "trigger": job.trigger.value if job.trigger else None,
                "reason": job.reason,
                "summary": job.diff["summary"],
            },
            service_date=base.service_date,
            depot_id=base.depot_id,
        )
    return plan


def get_replan(session: Session, job_id: int) -> PlanJob:
    """Raises ReplanNotFound."""
    job = session.get(PlanJob, job_id)
    if job is None or job.kind is not JobKind.REPLAN:
        raise ReplanNotFound(f"replan {job_id} does not exist", job_id=job_id)
    return job


def list_replans(
    session: Session, *, day: date, undecided_only: bool = False, depot_id: int | None = None
) -> list[PlanJob]:
    query = select(PlanJob).where(PlanJob.kind == JobKind.REPLAN, PlanJob.service_date == day)
    if depot_id is not None:
        query = query.where(PlanJob.depot_id == depot_id)
    if undecided_only:
        query = query.where(PlanJob.status == JobStatus.SUCCEEDED, PlanJob.decision.is_(None))
    return list(session.scalars(query.order_by(PlanJob.id.desc())))


def accept_replan(session: Session, job_id: int, *, by_id: int | None, now: datetime) -> Plan:
    """Publishes a proposed replan. Raises ReplanNotFound, ReplanNotDecidable (already decided,
    not finished, or stale: its base was superseded or a route departed since)."""
    job, plan, base = _decidable(session, job_id)
    _apply(session, job, plan, base, decision=ReplanDecision.ACCEPTED, by_id=by_id, now=now)
    return plan


def reject_replan(session: Session, job_id: int, *, by_id: int | None, now: datetime) -> PlanJob:
    """Turns a proposal down; its draft is discarded. Raises ReplanNotFound, ReplanNotDecidable."""
    job, plan, base = _decidable(session, job_id, check_fresh=False)
    _decide(job, ReplanDecision.REJECTED, by_id, now)
    plan.status = PlanStatus.DISCARDED
    live_events.record(
        session,
        "replan_rejected",
        {"job_id": job.id, "plan_id": plan.id},
        service_date=base.service_date,
        depot_id=base.depot_id,
    )
    session.flush()
    return job


def _decidable(
    session: Session, job_id: int, *, check_fresh: bool = True
) -> tuple[PlanJob, Plan, Plan]:
    job = get_replan(session, job_id)
    if job.decision is not None:
        raise ReplanNotDecidable(
            f"replan {job_id} was already {job.decision.value}",
            job_id=job_id,
            decision=job.decision.value,
        )
    if job.status is not JobStatus.SUCCEEDED or job.plan_id is None:
        raise ReplanNotDecidable(
            f"replan {job_id} is {job.status.value}; only a finished replan can be decided",
            job_id=job_id,
            job_status=job.status.value,
        )
    plan = plans.get_plan(session, job.plan_id)
    base = plans.get_plan(session, job.base_plan_id or 0)
    if check_fresh:
        stale = _staleness(plan, base)
        if stale is not None:
            _decide(job, ReplanDecision.STALE, None, None)
            plan.status = PlanStatus.DISCARDED
            session.flush()
            raise ReplanNotDecidable(
                f"replan {job_id} is out of date: {stale}; ask for a new one",
                job_id=job_id,
                stale=True,
            )
    return job, plan, base


def _staleness(plan: Plan, base: Plan) -> str | None:
    if base.status is not PlanStatus.PUBLISHED:
        return f"plan {base.id} it revises is {base.status.value}"
    if plan.status is not PlanStatus.DRAFT:
        return f"its plan {plan.id} is {plan.status.value}"
    base_routes = {r.vehicle_id: r for r in base.routes}
    for route in plan.routes:
        old = base_routes.get(route.vehicle_id)
        if old is not None and old.status is not route.status:
            return f"route {old.id} is {old.status.value} now"
    return None


def _apply(
    session: Session,
    job: PlanJob,
    plan: Plan,
    base: Plan,
    *,
    decision: ReplanDecision,
    by_id: int | None,
    now: datetime,
) -> None:
    _decide(job, decision, by_id, now)
    if base.status is PlanStatus.PUBLISHED:
        publishing.publish_plan(session, plan.id, now=now)
        _notify_eta_changes(session, job.diff or {}, now=now)
    for other in list_replans(session, day=base.service_date, undecided_only=True):
        if other.id != job.id and other.base_plan_id == base.id and other.plan_id is not None:
            _decide(other, ReplanDecision.STALE, None, now)
            stale_plan = session.get(Plan, other.plan_id)
            if stale_plan is not None and stale_plan.status is PlanStatus.DRAFT:
                stale_plan.status = PlanStatus.DISCARDED
    live_events.record(
        session,
        "replan_applied",
        {
            "job_id": job.id,
            "plan_id": plan.id,
            "base_plan_id": base.id,
            "decision": decision.value,
            "summary": (job.diff or {}).get("summary"),
        },
        service_date=base.service_date,
        depot_id=base.depot_id,
    )
    session.flush()


def _decide(
    job: PlanJob, decision: ReplanDecision, by_id: int | None, now: datetime | None
) -> None:
    job.decision = decision
    job.decided_by_id = by_id
    job.decided_at = now


def _notify_eta_changes(session: Session, diff: dict[str, Any], *, now: datetime) -> None:
    for change in diff.get("eta_changes", []):
        order = session.get(Order, change["order_id"])
        if order is None:
            continue
        before = datetime.fromisoformat(change["before"])
        after = datetime.fromisoformat(change["after"])
        notifications.notify_eta_changed(session, order, (before, before), (after, after), now)


def _carry(session: Session, plan: Plan, carried: CarriedRoute) -> None:
    """Puts a route under way (or done) into the new version as it happened: its done stops
    first, then what the solve made of its remaining stops; every carried stop keeps its
    visit's origin so its events still count."""
    old = carried.route
    route = next((r for r in plan.routes if r.vehicle_id == old.vehicle_id), None)
    if route is None:
        route = Route(
            vehicle_id=old.vehicle_id,
            shift_id=old.shift_id,
            sequence=max((r.sequence for r in plan.routes), default=0) + 1,
            planned_start_at=old.planned_start_at,
            planned_end_at=old.planned_end_at,
            # Not re-solved: the route as it was planned stands for what it drove.
            distance_m=old.distance_m,
            duration_s=old.duration_s,
        )
        plan.routes.append(route)
        plan.total_distance_m += old.distance_m
        plan.total_duration_s += old.duration_s
        planned: list[Stop] = []
    else:
        planned = list(route.stops)
    route.courier_id = old.courier_id
    route.status = old.status
    route.departed_at = old.departed_at
    route.finished_at = old.finished_at
    route.planned_start_at = old.planned_start_at
    # Out of the way of the unique (route, sequence) pair before renumbering.
    for k, stop in enumerate(planned, start=1):
        stop.sequence = -k
    session.flush()
    remaining_origin = {s.order_id: s.origin_stop_id or s.id for s in carried.remaining}
    for stop in planned:
        stop.origin_stop_id = remaining_origin.get(stop.order_id)
    done = [_copy_stop(s) for s in carried.done]
    route.stops = done + planned
    for k, stop in enumerate(route.stops, start=1):
        stop.sequence = k
    plan.orders_planned += len(done)
    session.flush()


def _copy_stop(old: Stop) -> Stop:
    return Stop(
        order_id=old.order_id,
        sequence=old.sequence,
        origin_stop_id=old.origin_stop_id or old.id,
        planned_arrival_at=old.planned_arrival_at,
        planned_service_start_at=old.planned_service_start_at,
        planned_departure_at=old.planned_departure_at,
        load_weight_g_after=old.load_weight_g_after,
        load_volume_cm3_after=old.load_volume_cm3_after,
        load_parcels_after=old.load_parcels_after,
    )


def _vehicle_outcome(session: Session, base: Plan, plan: Plan, vehicle_id: int | None) -> str:
    moved_from = [
        s.order_id
        for r in base.routes
        if r.vehicle_id == vehicle_id
        for s in r.stops
        if not _done_in(plan, r.vehicle_id, s.order_id)
    ]
    routed = {s.order_id for r in plan.routes if r.vehicle_id != vehicle_id for s in r.stops}
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
    return "\n".join([head + ":", *lines]) if lines else head + "."


def _done_in(plan: Plan, vehicle_id: int, order_id: int) -> bool:
    """Whether the new version keeps the order on the vehicle's route (done before it broke)."""
    return any(
        s.order_id == order_id for r in plan.routes if r.vehicle_id == vehicle_id for s in r.stops
    )
