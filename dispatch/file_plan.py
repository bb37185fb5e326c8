"""Planning a day from files: solve the PlanInput, check the plan independently, report it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import routing
from dispatch.csv_rows import PlanInputError, RowProblem
from dispatch.plan_input import PlanInput
from dispatch.plan_report import PlanReport, ReportedViolation, build_report

# (fraction of the time limit used 0..1, cost of the best plan so far or None)
SolveProgress = Callable[[float, float | None], None]


def plan_day(
    plan_input: PlanInput,
    *,
    date: dt.date,
    orders_file: str,
    vehicles_file: str,
    time_limit_s: float = 10.0,
    progress: SolveProgress | None = None,
) -> PlanReport:
    """Solve, validate and report; orders that cannot be served are in the report, not errors.

    Raises PlanInputError if the solver finds the input malformed.
    """
    try:
        solution = routing.solve(plan_input.problem, time_limit_s=time_limit_s, progress=progress)
    except routing.InvalidProblem as exc:
        where = f"{orders_file} + {vehicles_file}"
        raise PlanInputError([RowProblem(where, None, None, str(exc))]) from exc
    violations = [
        ReportedViolation(
            code=v.kind.value, text=v.detail, vehicle_id=v.vehicle_id, order_id=v.visit_id
        )
        for v in routing.validate(plan_input.problem, solution)
    ]
    return build_report(
        plan_input,
        solution,
        violations,
        date=date,
        orders_file=orders_file,
        vehicles_file=vehicles_file,
        time_limit_s=time_limit_s,
    )
