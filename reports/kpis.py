"""Delivery KPIs of a period, per day, depot or courier, computed with pandas from stored rows.

The definitions are in the README section "KPIs and reports" and in the module of each family:
`delivery_kpis` (visits, unserved orders, holds), `route_kpis` (distance, hours, utilisation,
ETA error, inspections) and `service_kpis` (CSAT, complaints, compensation).

Each family of KPIs is one function from the loaded frames and the grouping to a frame indexed
by group; `FAMILIES` lists them, so a new family is one function added there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from reports import delivery_kpis, route_kpis, service_kpis
from reports.frames import Period
from reports.grouping import ALL, NO_GROUP, By
from reports.inputs import Frames, load

__all__ = ["ALL", "BREAKDOWNS", "FAMILIES", "NO_GROUP", "By", "KpiReport", "compute", "summary"]

Family = Callable[[Frames, By | None], pd.DataFrame]
FAMILIES: tuple[Family, ...] = (
    delivery_kpis.deliveries,
    delivery_kpis.unserved,
    route_kpis.route_work,
    route_kpis.eta_accuracy,
    route_kpis.inspections,
    delivery_kpis.holds,
    service_kpis.satisfaction,
    service_kpis.complaints,
    service_kpis.compensation,
)
BREAKDOWNS: dict[str, Family] = {
    "failed_by_reason": delivery_kpis.failed_by_reason,
    "unserved_by_reason": delivery_kpis.unserved_by_reason,
    "holds_by_cause": delivery_kpis.holds_by_cause,
}


def summary(data: Frames, by: By | None) -> pd.DataFrame:
    """One row per group, one column per KPI; counts are 0 and ratios empty where nothing
    happened."""
    result = pd.concat([family(data, by) for family in FAMILIES], axis=1).sort_index()
    if by is None:
        # The whole period is one row even when nothing happened in it.
        result = result.reindex([ALL])
    result.index.name = "group"
    counts = [c for c in result.columns if c not in _DECIMALS]
    result[counts] = result[counts].fillna(0).astype(int)
    result[_SUMS] = result[_SUMS].fillna(0.0)
    return result.round(_DECIMALS)


# Totals that are 0 when nothing was planned, driven or paid (unlike ratios, which are then
# empty).
_SUMS = ["planned_km", "driven_km", "planned_h", "driven_h", "compensation_amount"]
_DECIMALS = {
    **dict.fromkeys(["on_time_rate", "first_attempt_rate", "inspection_pass_rate"], 4),
    **dict.fromkeys(["load_utilisation", "time_utilisation", "csat_share_4_5"], 4),
    **dict.fromkeys(["planned_km", "driven_km", "compensation_amount"], 2),
    **dict.fromkeys(["planned_h", "driven_h", "stops_per_hour", "csat_avg"], 2),
    **dict.fromkeys(["lateness_avg_min", "lateness_p90_min"], 1),
    **dict.fromkeys(["eta_error_avg_min", "eta_abs_error_avg_min", "eta_abs_error_p90_min"], 1),
    **dict.fromkeys(["complaints_per_1000_deliveries"], 1),
    **dict.fromkeys(["complaint_resolution_avg_h", "complaint_resolution_p90_h"], 2),
}


@dataclass(frozen=True, slots=True)
class KpiReport:
    period: Period
    by: By
    # One row per group (index `group`), one column per KPI.
    summary: pd.DataFrame
    # The same KPIs over the whole period.
    totals: pd.Series
    breakdowns: dict[str, pd.DataFrame]

    def table_name(self, table: str) -> str:
        """The name in `tables()` of `groups`, `totals` or a breakdown."""
        return {"groups": f"kpis_by_{self.by.value}", "totals": "kpis_total"}.get(table, table)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name, as the CSV files and Excel sheets hold them."""
        overall = self.totals.to_frame().T.rename_axis("group")
        return {
            f"kpis_by_{self.by.value}": self.summary.reset_index(),
            "kpis_total": overall.reset_index(),
            **self.breakdowns,
        }


def compute(
    session: Session,
    period: Period,
    by: By,
    *,
    now: datetime | None = None,
    depot_id: int | None = None,
) -> KpiReport:
    """The report of the period, of one depot's rows with `depot_id` (None: every depot's);
    complaints are judged overdue at `now` (None: at the period's end)."""
    as_of = period.ends_at() if now is None else now
    data = load(session, period, as_of=as_of, depot_id=depot_id)
    totals = summary(data, None)
    return KpiReport(
        period=period,
        by=by,
        summary=summary(data, by),
        # Object dtype keeps the counts whole next to the ratios.
        totals=totals.astype(object).iloc[0],
        breakdowns={name: breakdown(data, by) for name, breakdown in BREAKDOWNS.items()},
    )
