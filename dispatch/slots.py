"""Delivery slots: which windows of today and the next operating day can still be promised.

Candidate windows tile the local day (`SlotSettings`: first start, last end, length). A window
of today is not offered once it starts within the lead time from now (`past`), after the
cut-off (`past_cutoff`), or on a day couriers do not drive (`closed_day`). The others are
judged against the routes as planned now:

- With a live plan of the day (the published one, else the newest draft; per depot), the new
  stop must fit into a route that has not left the depot yet, or onto an idle vehicle of the
  plan's depots, at its cheapest position (`slot_insertion`): every stop still in its window,
  the new one in the candidate window, the load within capacity, back within the shift. A route
  under way is not a candidate: the new parcel is at the depot and that vehicle loads nothing
  more until it is back. Today, a route not yet departed leaves no earlier than now.
- Without a plan, a window is offered when some in-service vehicle (with the order's handling
  skills) can drive from its depot to the address inside the window and back within its shift
  (its shift of the day, else its default hours), and the day's plannable orders together with
  this one fit into the summed capacity of those vehicles. It says the day's fleet can still
  take the order, not where: the first plan decides that.

Orders of the day taken since the plan (not yet on any of its routes, e.g. booked slots) are
first placed in turn at their own cheapest feasible positions, so that a slot booked once is
not offered twice on the same room; the next replan decides where they really go.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import routing
from dispatch.errors import NothingToPlan
from dispatch.problem_builder import (
    PLANNABLE_STATUSES,
    BuiltProblem,
    DayClock,
    ExtraStop,
    PlanScope,
    VehicleOverride,
    build_problem,
)
from dispatch.replanning import LIVE_PLANS
from dispatch.slot_insertion import (
    MISFIT_ORDER,
    Fit,
    Insertion,
    Misfit,
    best_insertions,
    place_in_turn,
)
from infra.models import Order, Plan, PlanStatus, Route, RouteStatus, Vehicle, VehicleStatus
from infra.settings import OperationSettings, SlotSettings
from orders.cutoff import service_day_for
from orders.drafts import OrderDraft


class SlotRefusal(enum.StrEnum):
    PAST = "past"
    PAST_CUTOFF = "past_cutoff"
    CLOSED_DAY = "closed_day"
    NO_VEHICLE = Misfit.NO_VEHICLE.value
    NO_ROUTE_CAN_REACH = Misfit.NO_ROUTE_CAN_REACH.value
    CAPACITY = Misfit.CAPACITY.value


@dataclass(frozen=True, slots=True)
class SlotRequest:
    """What is to be delivered where, for pricing slots."""

    lat: float
    lng: float
    weight_g: int
    volume_cm3: int
    parcels: int
    service_s: int
    handling: frozenset[str] = frozenset()
    depot_id: int | None = None


@dataclass(frozen=True, slots=True)
class SlotRoute:
    """Where the new stop goes: the cheapest route of the plan (None without a plan)."""

    plan_id: int | None
    route_id: int | None
    vehicle_id: int
    # 1-based position among the route's stops.
    position: int
    service_start_at: datetime
    extra_distance_m: int
    extra_drive_s: int
    extra_cost: float


@dataclass(frozen=True, slots=True)
class SlotOffer:
    service_date: date
    start: time
    end: time
    starts_at: datetime
    ends_at: datetime
    reason: SlotRefusal | None
    route: SlotRoute | None = None

    @property
    def available(self) -> bool:
        return self.reason is None


@dataclass(frozen=True, slots=True)
class DaySlots:
    service_date: date
    # The live plans the offers were judged against; empty when the day has none yet.
    plan_ids: tuple[int, ...]
    offers: tuple[SlotOffer, ...]


def offer_slots(
    session: Session,
    request: SlotRequest,
    *,
    now: datetime,
    operation: OperationSettings,
    slots: SlotSettings,
) -> list[DaySlots]:
    """The windows of today and the next operating day, each available or not with why."""
    return [
        day_slots(session, request, day, now=now, operation=operation, slots=slots)
        for day in slot_days(now, operation)
    ]


def slot_days(now: datetime, operation: OperationSettings) -> tuple[date, date]:
    """Today (local) and the next operating day after it."""
    today = now.astimezone(operation.zone).date()
    later = service_day_for(
        datetime.combine(today, time(23, 59, 59), tzinfo=operation.zone),
        cutoff=time(0),
        zone=operation.zone,
        operating_weekdays=operation.operating_weekdays,
    )
    return today, later.service_date


def candidate_windows(slots: SlotSettings) -> list[tuple[time, time]]:
    """The windows tiling the day, in local wall-clock times."""
    day = date(2000, 1, 3)  # any date: only the wall clock matters
    start = datetime.combine(day, slots.first_start)
    last = datetime.combine(day, slots.last_end)
    windows = []
    while start + timedelta(seconds=slots.length_s) <= last:
        end = start + timedelta(seconds=slots.length_s)
        windows.append((start.time(), end.time()))
        start = end
    return windows


def request_of(draft: OrderDraft, *, lat: float, lng: float) -> SlotRequest:
    return SlotRequest(
        lat=lat,
        lng=lng,
        weight_g=sum(p.weight_g * p.count for p in draft.parcels),
        volume_cm3=sum(p.volume_cm3 * p.count for p in draft.parcels),
        parcels=sum(p.count for p in draft.parcels),
        service_s=draft.service_s,
        handling=frozenset(draft.handling),
        depot_id=draft.depot_id,
    )


def timing_refusal(
    day: date, start: time, now: datetime, operation: OperationSettings, slots: SlotSettings
) -> SlotRefusal | None:
    zone = operation.zone
    if day.isoweekday() not in operation.operating_weekdays:
        return SlotRefusal.CLOSED_DAY
    if datetime.combine(day, start, tzinfo=zone) < now + timedelta(seconds=slots.lead_s):
        return SlotRefusal.PAST
    if day == now.astimezone(zone).date() and now >= datetime.combine(
        day, operation.cutoff, tzinfo=zone
    ):
        return SlotRefusal.PAST_CUTOFF
    return None


def day_slots(
    session: Session,
    request: SlotRequest,
    day: date,
    *,
    now: datetime,
    operation: OperationSettings,
    slots: SlotSettings,
    windows: Sequence[tuple[time, time]] | None = None,
    exclude_order_ids: Iterable[int] = (),
    lock: bool = False,
) -> DaySlots:
    zone = operation.zone
    clock = DayClock(day, zone)
    windows = list(windows if windows is not None else candidate_windows(slots))
    refusals = [timing_refusal(day, start, now, operation, slots) for start, _end in windows]
    open_windows = [w for w, refusal in zip(windows, refusals, strict=True) if refusal is None]
    plans = _live_plans(session, day, request.depot_id, lock=lock)
    verdicts: dict[tuple[time, time], _Verdict] = {}
    judged_plans: list[Plan | None] = [*plans] if plans else [None]
    for plan in judged_plans if open_windows else []:
        judged = _judge(
            session,
            request,
            clock,
            plan,
            open_windows,
            now=now,
            exclude_order_ids=set(exclude_order_ids),
        )
        for window, verdict in judged.items():
            kept = verdicts.get(window)
            if kept is None or verdict.rank > kept.rank:
                verdicts[window] = verdict
    offers = []
    for (start, end), refusal in zip(windows, refusals, strict=True):
        route = None
        if refusal is None:
            verdict = verdicts.get((start, end), _Verdict(None, Misfit.NO_VEHICLE))
            route = verdict.route
            if verdict.misfit is not None:
                refusal = SlotRefusal(verdict.misfit)
        offers.append(
            SlotOffer(
                service_date=day,
                start=start,
                end=end,
                starts_at=datetime.combine(day, start, tzinfo=zone).astimezone(UTC),
                ends_at=datetime.combine(day, end, tzinfo=zone).astimezone(UTC),
                reason=refusal,
                route=route,
            )
        )
    return DaySlots(day, tuple(p.id for p in plans), tuple(offers))


@dataclass(frozen=True, slots=True)
class _Verdict:
    route: SlotRoute | None
    misfit: Misfit | None

    @property
    def rank(self) -> tuple[int, float]:
        """Higher is better: any route beats none (cheaper first), else the most telling reason."""
        if self.route is not None:
            return (len(MISFIT_ORDER), -self.route.extra_cost)
        return (MISFIT_ORDER.index(self.misfit or Misfit.NO_VEHICLE), 0.0)


def _judge(
    session: Session,
    request: SlotRequest,
    clock: DayClock,
    plan: Plan | None,
    windows: Sequence[tuple[time, time]],
    *,
    now: datetime,
    exclude_order_ids: set[int],
) -> dict[tuple[time, time], _Verdict]:
    day, zone = clock.day, clock.zone
    probes = tuple(
        routing.Visit(
            id=f"slot-{k}",
            location=0,
            service_s=request.service_s,
            windows=(routing.TimeWindow(clock.wall_seconds(s), clock.wall_seconds(e)),),
            demand=(request.weight_g, request.volume_cm3, request.parcels),
            skills=request.handling,
        )
        for k, (s, e) in enumerate(windows)
    )
    scope = PlanScope(day, plan.depot_id if plan is not None else request.depot_id)
    today = now.astimezone(zone).date() == day
    routes: dict[int, Route] = {}
    busy: set[int] = set()
    if plan is not None:
        for route in plan.routes:
            if route.status is RouteStatus.PLANNED:
                routes[route.vehicle_id] = route
            else:
                busy.add(route.vehicle_id)
        on_plan = {s.order_id for r in plan.routes for s in r.stops}
        pending = [
            o for o in _plannable_orders(session, scope, exclude_order_ids) if o not in on_plan
        ]
        order_ids = [s.order_id for r in routes.values() for s in r.stops] + pending
    else:
        pending = []
        order_ids = _plannable_orders(session, scope, exclude_order_ids)
    vehicle_ids = [v for v in _in_service(session, scope) if v not in busy]
    overrides = {v: VehicleOverride(ready_at=now) for v in vehicle_ids} if today else {}
    try:
        built = build_problem(
            session,
            scope,
            zone=zone,
            order_ids=order_ids,
            vehicle_ids=vehicle_ids,
            overrides=overrides,
            extra=ExtraStop(request.lat, request.lng, probes),
        )
    except NothingToPlan:
        return {w: _Verdict(None, Misfit.NO_VEHICLE) for w in windows}
    known = {o: v for v, o in built.order_of_visit.items()}
    sequences = {
        built.solver_vehicle_id(v): [
            known[s.order_id] for s in routes[v].stops if s.order_id in known
        ]
        if v in routes
        else []
        for v in built.vehicle_of.values()
    }
    sequences = place_in_turn(built.problem, sequences, [known[o] for o in pending if o in known])
    fits = best_insertions(built.problem, sequences, [p.id for p in probes])
    if plan is None:
        fits = _within_fleet_capacity(built, fits)
    verdicts = {}
    for window, probe in zip(windows, probes, strict=True):
        fit = fits[probe.id]
        if fit.insertion is None:
            verdicts[window] = _Verdict(None, fit.misfit)
            continue
        vehicle_id = built.vehicle_of[fit.insertion.vehicle_id]
        verdicts[window] = _Verdict(
            _slot_route(fit.insertion, clock, plan, routes.get(vehicle_id), vehicle_id), None
        )
    return verdicts


def _within_fleet_capacity(built: BuiltProblem, fits: dict[str, Fit]) -> dict[str, Fit]:
    """A day without a plan: the day's orders and the new one must fit into the fleet."""
    problem = built.problem
    orders = [v for v in problem.visits if v.id in built.order_of_visit]
    probe = next((v for v in problem.visits if v.id not in built.order_of_visit), None)
    if probe is None:
        return fits
    demand = [
        sum(col) for col in zip(*(problem.demand_of(v) for v in [*orders, probe]), strict=True)
    ]
    capacity = [
        sum(col) for col in zip(*(problem.capacity_of(v) for v in problem.vehicles), strict=True)
    ]
    if all(d <= c for d, c in zip(demand, capacity, strict=True)):
        return fits
    return {k: Fit(None, Misfit.CAPACITY) for k in fits}


def _slot_route(
    insertion: Insertion,
    clock: DayClock,
    plan: Plan | None,
    route: Route | None,
    vehicle_id: int,
) -> SlotRoute:
    return SlotRoute(
        plan_id=plan.id if plan is not None else None,
        route_id=route.id if route is not None else None,
        vehicle_id=vehicle_id,
        position=insertion.index + 1,
        service_start_at=clock.instant(insertion.service_start_s),
        extra_distance_m=insertion.extra_distance_m,
        extra_drive_s=insertion.extra_drive_s,
        extra_cost=round(insertion.extra_cost, 2),
    )


def _live_plans(
    session: Session, day: date, depot_id: int | None, *, lock: bool = False
) -> list[Plan]:
    """Per depot, the published plan of the day, else its newest draft.

    `lock` holds the day's live plans until the transaction ends (PostgreSQL), so two bookings
    of the same day are judged one after the other, the second seeing the first's order.
    """
    query = select(Plan).where(Plan.service_date == day, Plan.status.in_(LIVE_PLANS))
    if lock:
        query = query.with_for_update()
    if depot_id is not None:
        query = query.where((Plan.depot_id == depot_id) | Plan.depot_id.is_(None))
    chosen: dict[int | None, Plan] = {}
    for plan in session.scalars(query.order_by(Plan.id.desc())):
        kept = chosen.get(plan.depot_id)
        if kept is None or (
            plan.status is PlanStatus.PUBLISHED and kept.status is not PlanStatus.PUBLISHED
        ):
            chosen[plan.depot_id] = plan
    return sorted(chosen.values(), key=lambda p: p.id)


def _in_service(session: Session, scope: PlanScope) -> list[int]:
    query = select(Vehicle.id).where(Vehicle.status == VehicleStatus.IN_SERVICE)
    if scope.depot_id is not None:
        query = query.where(Vehicle.depot_id == scope.depot_id)
    return list(session.scalars(query.order_by(Vehicle.id)))


def _plannable_orders(session: Session, scope: PlanScope, exclude: set[int]) -> list[int]:
    query = select(Order.id).where(
        Order.service_date == scope.service_date, Order.status.in_(PLANNABLE_STATUSES)
    )
    if scope.depot_id is not None:
        query = query.where(Order.depot_id == scope.depot_id)
    return [o for o in session.scalars(query) if o not in exclude]
