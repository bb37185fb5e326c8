"""Delivery KPIs of a period, per day, depot or courier, computed with pandas from stored rows.

Definitions (README "KPIs and reports" says the same):

- on-time rate: visits done (delivered, or a return picked up) at a time inside one of the
  order's promised windows (no tolerance; an order without windows is on time), over visits
  done plus failed attempts. An early visit is not on time.
- first-attempt success: orders whose first attempt was a success, over orders attempted.
- lateness: for a visit done after a window closed and inside none, the time since the end of
  the last window that closed before it; average and p90 over those late visits only.
- unserved orders: the orders the day's plan left out, by the plan's reason code.
- planned km and hours: the routes of each day's plan (the published one, else the newest
  draft); driven km: the courier's pings from departure to the route's end, leg by leg
  (great circle); driven hours: departure to the route's end (its finish, else the last stop
  event of the courier that day).
- stops per hour: visits done and failed attempts over driven hours.
- utilisation: load = delivery weight of the routes over their vehicles' weight capacity;
  time = planned route duration over shift length (sums over the routes, not an average of
  ratios).
- ETA error: for each stop, the last ETA predicted at least 30 minutes before the courier
  arrived, minus the arrival (positive: predicted too late); mean, mean absolute, p90 absolute.
- inspection pass rate: inspections (a corrected log counts once, as corrected) that passed.
- holds: holds placed in the period by cause, with the orders they took out of planning.
- CSAT: the mean feedback rating (1-5) and the share of ratings 4 or 5.

Each family of KPIs is one function from the loaded frames and the grouping to a frame indexed
by group; `FAMILIES` lists them, so a new family is one function added there.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy.orm import Session

from infra.models import StopEventKind
from reports import frames
from reports.frames import Period
from tracking.driven import trail_length_m

if TYPE_CHECKING:
    from pandas.core.groupby.generic import DataFrameGroupBy

ALL = "all"
NO_GROUP = "(none)"
ETA_LEAD = timedelta(minutes=30)
SUCCESS = (StopEventKind.DELIVERED, StopEventKind.PICKUP_DONE)
OUTCOMES = (*SUCCESS, StopEventKind.FAILED)


class By(enum.StrEnum):
    DAY = "day"
    DEPOT = "depot"
    COURIER = "courier"


@dataclass(frozen=True, slots=True)
class Frames:
    events: pd.DataFrame
    windows: pd.DataFrame
    routes: pd.DataFrame
    pings: pd.DataFrame
    etas: pd.DataFrame
    inspections: pd.DataFrame
    holds: pd.DataFrame
    feedback: pd.DataFrame
    unserved: pd.DataFrame


def load(session: Session, period: Period) -> Frames:
    plan_ids = frames.day_plan_ids(session, period)
    events = frames.stop_events(session, period)
    order_ids = [int(i) for i in events["order_id"].unique()]
    routes = frames.routes(session, plan_ids)
    courier_ids = [int(i) for i in routes["courier_id"].dropna().unique()]
    return Frames(
        events=events,
        windows=frames.windows(session, order_ids),
        routes=routes,
        pings=frames.pings(session, courier_ids, period),
        etas=frames.eta_predictions(session, period),
        inspections=frames.inspections(session, period),
        holds=frames.holds(session, period),
        feedback=frames.feedback(session, order_ids),
        unserved=frames.unserved(session, plan_ids),
    )


def group_of(data: pd.DataFrame, by: By | None) -> pd.Series:
    """The group label of each row: the day (ISO), depot code or courier name; `all` for none."""
    if by is None:
        return pd.Series(ALL, index=data.index, dtype=object)
    return data[by.value].map(lambda value: NO_GROUP if pd.isna(value) else str(value))


def _grouped(data: pd.DataFrame, by: By | None) -> DataFrameGroupBy[Any, Any]:
    # A frame without rows has no group labels to compute, but must still group.
    return data.assign(group=group_of(data, by) if len(data) else []).groupby("group")


def _outcomes(data: Frames) -> pd.DataFrame:
    """Visits done and failed attempts, each with `on_time` and `late_s` (visits done only)."""
    events = data.events
    done = events[events["kind"].isin(OUTCOMES)].reset_index(drop=True)
    done["visit"] = done.index
    success = done["kind"].isin(SUCCESS)
    pairs = done[success].merge(data.windows, on="order_id")
    pairs["inside"] = (pairs["starts_at"] <= pairs["occurred_at"]) & (
        pairs["occurred_at"] <= pairs["ends_at"]
    )
    pairs["since_end_s"] = (pairs["occurred_at"] - pairs["ends_at"]).dt.total_seconds()
    closed = pairs[pairs["since_end_s"] > 0].groupby("visit")["since_end_s"].min()
    inside = pairs.groupby("visit")["inside"].any()
    has_windows = done["visit"].isin(pairs["visit"])
    done["on_time"] = success & (~has_windows | done["visit"].map(inside).fillna(False))
    late = success & ~done["on_time"]
    done["late_s"] = done["visit"].map(closed).where(late)
    return done


def deliveries(data: Frames, by: By | None) -> pd.DataFrame:
    done = _outcomes(data)
    done["success"] = done["kind"].isin(SUCCESS)
    done["failed"] = ~done["success"]
    first = done.drop_duplicates("order_id", keep="first")
    result = _grouped(done, by).agg(
        deliveries=("success", "sum"),
        failed_attempts=("failed", "sum"),
        on_time=("on_time", "sum"),
        late_deliveries=("late_s", "count"),
        lateness_avg_min=("late_s", lambda s: s.mean() / 60),
        lateness_p90_min=("late_s", lambda s: s.quantile(0.9) / 60),
    )
    result["on_time_rate"] = result.pop("on_time") / (
        result["deliveries"] + result["failed_attempts"]
    )
    first_attempts = _grouped(first, by)["success"]
    result["orders_attempted"] = first_attempts.count()
    result["first_attempt_rate"] = first_attempts.mean()
    return result


def _counted(data: pd.DataFrame, by: By | None, column: str, name: str) -> pd.DataFrame:
    """Rows per group and value of `column` (renamed `reason`), most first in each group."""
    labelled = data.assign(group=group_of(data, by) if len(data) else [])
    counts = labelled.groupby(["group", column]).size().rename(name).reset_index()
    counts = counts.rename(columns={column: "reason"})
    return counts.sort_values(["group", name], ascending=[True, False], ignore_index=True)


def failed_by_reason(data: Frames, by: By | None) -> pd.DataFrame:
    failed = data.events[data.events["kind"] == StopEventKind.FAILED]
    failed = failed.assign(reason=failed["failure_reason"].map(lambda r: str(r) if r else NO_GROUP))
    return _counted(failed, by, "reason", "attempts")


def unserved(data: Frames, by: By | None) -> pd.DataFrame:
    result: pd.DataFrame = _grouped(data.unserved, by).agg(unserved_orders=("order_id", "nunique"))
    return result


def unserved_by_reason(data: Frames, by: By | None) -> pd.DataFrame:
    return _counted(data.unserved, by, "reason_code", "orders")


def _route_ends(data: Frames) -> pd.Series:
    """When each route ended: its finish, else its courier's last stop event that day."""
    routes = data.routes
    last_event = data.events.groupby(["courier", "day"])["occurred_at"].max()
    keys = pd.MultiIndex.from_arrays([routes["courier"], routes["day"]])
    fallback = pd.Series(last_event.reindex(keys).to_numpy(), index=routes.index)
    return routes["finished_at"].fillna(fallback)


def _driven_m(data: Frames, routes: pd.DataFrame) -> pd.Series:
    by_courier = dict(tuple(data.pings.groupby("courier_id")))
    driven = []
    columns = routes[["courier_id", "departed_at", "ended_at"]]
    for courier_id, departed_at, ended_at in columns.itertuples(index=False, name=None):
        trail = by_courier.get(courier_id)
        if trail is None or pd.isna(departed_at) or pd.isna(ended_at):
            driven.append(0.0)
            continue
        on_route = trail[trail["device_at"].between(departed_at, ended_at)]
        driven.append(trail_length_m(on_route["lat"].tolist(), on_route["lng"].tolist()))
    return pd.Series(driven, index=routes.index, dtype=float)


def _shift_s(routes: pd.DataFrame) -> pd.Series:
    """The shift's length, else the vehicle's default hours."""
    dated = (routes["shift_ends_at"] - routes["shift_starts_at"]).dt.total_seconds()
    default = [
        (end.hour * 3600 + end.minute * 60) - (start.hour * 3600 + start.minute * 60)
        for start, end in zip(routes["shift_start"], routes["shift_end"], strict=True)
    ]
    return dated.fillna(pd.Series(default, index=routes.index, dtype=float))


def route_work(data: Frames, by: By | None) -> pd.DataFrame:
    routes = data.routes.copy()
    routes["ended_at"] = _route_ends(data) if len(routes) else routes["finished_at"]
    routes["driven_m"] = _driven_m(data, routes)
    routes["driven_s"] = (routes["ended_at"] - routes["departed_at"]).dt.total_seconds()
    routes["shift_s"] = _shift_s(routes)
    done = data.events[data.events["kind"].isin(OUTCOMES)]
    stops_done = done.groupby(["courier", "day"]).size()
    keys = pd.MultiIndex.from_arrays([routes["courier"], routes["day"]])
    routes["stops_done"] = stops_done.reindex(keys).fillna(0).to_numpy()
    routes["stops_done"] = routes["stops_done"].where(routes["driven_s"].notna(), 0)
    sums = _grouped(routes, by)[
        [
            "distance_m",
            "driven_m",
            "duration_s",
            "driven_s",
            "stops_done",
            "load_weight_g",
            "max_weight_g",
            "shift_s",
        ]
    ].sum(min_count=1)
    result = pd.DataFrame(index=sums.index)
    result["routes"] = _grouped(routes, by).size()
    result["planned_km"] = sums["distance_m"] / 1000
    result["driven_km"] = sums["driven_m"] / 1000
    result["planned_h"] = sums["duration_s"] / 3600
    result["driven_h"] = sums["driven_s"] / 3600
    result["stops_per_hour"] = sums["stops_done"] / result["driven_h"].where(result["driven_h"] > 0)
    result["load_utilisation"] = sums["load_weight_g"] / sums["max_weight_g"]
    result["time_utilisation"] = sums["duration_s"] / sums["shift_s"]
    return result


def eta_accuracy(data: Frames, by: By | None) -> pd.DataFrame:
    events = data.events
    arrivals = events[events["kind"].isin((StopEventKind.ARRIVED, *OUTCOMES))]
    arrivals = arrivals.drop_duplicates("order_id", keep="first")
    pairs = data.etas.merge(arrivals, on="order_id")
    pairs = pairs[pairs["computed_at"] <= pairs["occurred_at"] - ETA_LEAD]
    last = pairs.sort_values("computed_at").drop_duplicates("order_id", keep="last")
    last = last.assign(error_min=(last["eta_at"] - last["occurred_at"]).dt.total_seconds() / 60)
    last["abs_error_min"] = last["error_min"].abs()
    result: pd.DataFrame = _grouped(last, by).agg(
        eta_predictions=("error_min", "count"),
        eta_error_avg_min=("error_min", "mean"),
        eta_abs_error_avg_min=("abs_error_min", "mean"),
        eta_abs_error_p90_min=("abs_error_min", lambda s: s.quantile(0.9)),
    )
    return result


def inspections(data: Frames, by: By | None) -> pd.DataFrame:
    logs = data.inspections.assign(passed=data.inspections["passed"].astype(bool))
    result: pd.DataFrame = _grouped(logs, by).agg(
        inspections=("id", "count"), inspection_pass_rate=("passed", "mean")
    )
    return result


def holds(data: Frames, by: By | None) -> pd.DataFrame:
    result: pd.DataFrame = _grouped(data.holds, by).agg(
        holds=("id", "count"), orders_held=("orders", "sum")
    )
    return result


def holds_by_cause(data: Frames, by: By | None) -> pd.DataFrame:
    """Holds per group and cause (column `reason`), with the orders they took out of planning."""
    held = data.holds.assign(cause=data.holds["reason"].map(str))
    result = _counted(held, by, "cause", "holds")
    labelled = held.assign(group=group_of(held, by) if len(held) else [])
    orders = labelled.groupby(["group", "cause"])["orders"].sum()
    keys = pd.MultiIndex.from_arrays([result["group"], result["reason"]])
    result["orders_affected"] = orders.reindex(keys).fillna(0).astype(int).to_numpy()
    return result


def satisfaction(data: Frames, by: By | None) -> pd.DataFrame:
    done = data.events[data.events["kind"].isin(SUCCESS)].drop_duplicates("order_id")
    rated = data.feedback.merge(done[["order_id", "day", "depot", "courier"]], on="order_id")
    rated["top"] = rated["rating"] >= 4
    result: pd.DataFrame = _grouped(rated, by).agg(
        ratings=("rating", "count"), csat_avg=("rating", "mean"), csat_share_4_5=("top", "mean")
    )
    return result


Family = Callable[[Frames, By | None], pd.DataFrame]
FAMILIES: tuple[Family, ...] = (
    deliveries,
    unserved,
    route_work,
    eta_accuracy,
    inspections,
    holds,
    satisfaction,
)
BREAKDOWNS: dict[str, Family] = {
    "failed_by_reason": failed_by_reason,
    "unserved_by_reason": unserved_by_reason,
    "holds_by_cause": holds_by_cause,
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


# Totals that are 0 when nothing was planned or driven (unlike ratios, which are then empty).
_SUMS = ["planned_km", "driven_km", "planned_h", "driven_h"]
_DECIMALS = {
    **dict.fromkeys(["on_time_rate", "first_attempt_rate", "inspection_pass_rate"], 4),
    **dict.fromkeys(["load_utilisation", "time_utilisation", "csat_share_4_5"], 4),
    **dict.fromkeys(["planned_km", "driven_km"], 2),
    **dict.fromkeys(["planned_h", "driven_h", "stops_per_hour", "csat_avg"], 2),
    **dict.fromkeys(["lateness_avg_min", "lateness_p90_min"], 1),
    **dict.fromkeys(["eta_error_avg_min", "eta_abs_error_avg_min", "eta_abs_error_p90_min"], 1),
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


def compute(session: Session, period: Period, by: By) -> KpiReport:
    data = load(session, period)
    totals = summary(data, None)
    return KpiReport(
        period=period,
        by=by,
        summary=summary(data, by),
        # Object dtype keeps the counts whole next to the ratios.
        totals=totals.astype(object).iloc[0],
        breakdowns={name: breakdown(data, by) for name, breakdown in BREAKDOWNS.items()},
    )
