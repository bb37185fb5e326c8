"""KPI reports as JSON: the KPIs per group and over the period, and the breakdowns by reason."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from pydantic import Field

from api.schemas.common import ResponseModel
from reports.kpis import By, KpiReport


class KpiRowOut(ResponseModel):
    """The KPIs of one group (a day, a depot code or a courier's name; `all` for the period).
    Rates and utilisations are fractions (0.25 is 25 %); a ratio with nothing to divide by is
    null. The README section "KPIs and reports" defines each one."""

    group: str
    deliveries: int
    failed_attempts: int
    on_time_rate: float | None
    orders_attempted: int
    first_attempt_rate: float | None
    late_deliveries: int
    lateness_avg_min: float | None
    lateness_p90_min: float | None
    unserved_orders: int
    routes: int
    planned_km: float
    driven_km: float
    planned_h: float
    driven_h: float
    stops_per_hour: float | None
    load_utilisation: float | None
    time_utilisation: float | None
    eta_predictions: int
    eta_error_avg_min: float | None
    eta_abs_error_avg_min: float | None
    eta_abs_error_p90_min: float | None
    inspections: int
    inspection_pass_rate: float | None
    holds: int
    orders_held: int
    ratings: int
    csat_avg: float | None
    csat_share_4_5: float | None
    complaints: int
    complaints_per_1000_deliveries: float | None
    complaints_closed: int
    complaint_resolution_avg_h: float | None
    complaint_resolution_p90_h: float | None
    complaints_overdue: int
    compensations: int
    compensation_amount: float
    compensation_points: int


class ReasonCountOut(ResponseModel):
    group: str
    reason: str
    count: int


class HoldCauseOut(ResponseModel):
    group: str
    reason: str
    holds: int
    orders_affected: int


class KpiReportOut(ResponseModel):
    from_: date = Field(serialization_alias="from")
    to: date
    by: By
    totals: KpiRowOut
    groups: list[KpiRowOut]
    failed_by_reason: list[ReasonCountOut]
    unserved_by_reason: list[ReasonCountOut]
    holds_by_cause: list[HoldCauseOut]

    @classmethod
    def of(cls, report: KpiReport) -> KpiReportOut:
        breakdowns = report.breakdowns
        return cls(
            from_=report.period.first,
            to=report.period.last,
            by=report.by,
            totals=KpiRowOut.model_validate(_records(report.tables()["kpis_total"])[0]),
            groups=[KpiRowOut.model_validate(r) for r in _records(report.summary.reset_index())],
            failed_by_reason=_reasons(breakdowns["failed_by_reason"], "attempts"),
            unserved_by_reason=_reasons(breakdowns["unserved_by_reason"], "orders"),
            holds_by_cause=[
                HoldCauseOut.model_validate(r) for r in _records(breakdowns["holds_by_cause"])
            ],
        )


def _reasons(table: pd.DataFrame, count_column: str) -> list[ReasonCountOut]:
    counted = table.rename(columns={count_column: "count"})
    return [ReasonCountOut.model_validate(r) for r in _records(counted)]


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain values, NaN as None."""
    plain = table.astype(object).where(table.notna(), None)
    return [{str(k): v for k, v in row.items()} for row in plain.to_dict("records")]
