"""A dispatcher's edits of a draft plan: moving a stop, re-timed and re-checked by routing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

import routing
from dispatch import plans
from dispatch.errors import InvalidMove, MoveInfeasible, PlanNotEditable
from dispatch.problem_builder import PlanScope, build_problem
from infra.errors import FieldProblem
from infra.models import Plan, PlanStatus
from routing.evaluate import evaluate
from routing.solution import UnassignedReason


def ensure_draft(plan: Plan) -> None:
    """Raises PlanNotEditable unless the plan is a draft."""
    if plan.status is not PlanStatus.DRAFT:
        raise PlanNotEditable(
            f"plan {plan.id} is {plan.status.value}; only a draft plan can be changed",
            plan_id=plan.id,
        )


def move_stop(
    session: Session,
    plan_id: int,
    *,
    order_id: int,
    route_id: int,
    position: int | None,
    zone: ZoneInfo,
) -> Plan:
    """Moves an order (routed or unserved) to `position` (from 1; None: last) of a route.

    The edited routes are re-timed as given and checked; nothing changes if any rule breaks.
    Raises PlanNotFound, PlanNotEditable, InvalidMove, MoveInfeasible.
    """
    plan = plans.get_plan(session, plan_id)
    ensure_draft(plan)
    target = next((r for r in plan.routes if r.id == route_id), None)
    if target is None:
        raise InvalidMove(
            f"route {route_id} is not part of plan {plan_id}",
            [FieldProblem("route_id", "must be a route of this plan")],
            plan_id=plan_id,
            route_id=route_id,
        )
    sequences = {r.vehicle_id: [s.order_id for s in r.stops] for r in plan.routes}
    unserved = {u.order_id: u for u in plan.unserved}
    source = next((v for v, ids in sequences.items() if order_id in ids), None)
    if source is None and order_id not in unserved:
        raise InvalidMove(
            f"order {order_id} is not part of plan {plan_id}",
            [FieldProblem("order_id", "must be an order routed or left out by this plan")],
            plan_id=plan_id,
            order_id=order_id,
        )
    if source is not None:
        sequences[source].remove(order_id)
    stops = sequences[target.vehicle_id]
    if position is not None and position > len(stops) + 1:
        raise InvalidMove(
            f"route {route_id} has {len(stops)} other stops; position {position} is past its end",
            [FieldProblem("position", f"must be between 1 and {len(stops) + 1}")],
            plan_id=plan_id,
            route_id=route_id,
        )
    stops.insert(len(stops) if position is None else position - 1, order_id)

    all_orders = [o for ids in sequences.values() for o in ids] + list(unserved)
    built = build_problem(
        session,
        PlanScope(plan.service_date, plan.depot_id),
        zone=zone,
        order_ids=all_orders,
        vehicle_ids=list(sequences),
    )
    missing = set(sequences) - set(built.vehicle_of.values())
    missing_orders = set(all_orders) - set(built.order_of_visit.values())
    if missing or missing_orders:
        raise MoveInfeasible(
            f"plan {plan_id} no longer matches its vehicles and orders (vehicles "
            f"{sorted(missing)} out of service, orders {sorted(missing_orders)} gone); plan again",
            plan_id=plan_id,
        )
    still_unserved = [
        routing.Unassigned(built.visit_id(u.order_id), _reason(u.reason_code))
        for u in plan.unserved
        if u.order_id != order_id
    ]
    solution = evaluate(
        built.problem,
        {
            built.solver_vehicle_id(vehicle_id): [built.visit_id(o) for o in ids]
            for vehicle_id, ids in sequences.items()
        },
        still_unserved,
    )
    violations = routing.validate(built.problem, solution)
    if violations:
        raise MoveInfeasible(
            f"moving order {order_id} to route {target.sequence} is not feasible: "
            + plans.violations_text(violations),
            plan_id=plan_id,
            order_id=order_id,
            route_id=route_id,
            violation=violations[0].kind.value,
        )
    plans.write_solution(session, plan, built, solution)
    return plan


def _reason(code: str) -> UnassignedReason:
    try:
        return UnassignedReason(code)
    except ValueError:
        return UnassignedReason.DROPPED_FOR_PRIORITY
