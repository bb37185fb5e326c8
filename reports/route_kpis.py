"""KPIs of the routes and their vehicles: distance and hours, stops per hour, utilisation,
ETA accuracy and pre-departure inspections.

- planned km and hours: the routes of each day's plan as it was first published (replans
  during the day plan only what is left, from where the couriers are; else the newest draft);
  driven km: the courier's pings from departure to the route's end, leg by leg (great
  circle); driven hours: departure to the route's end (its finish, else the last stop event of
  the courier that day), for the routes of the plan the day ended on.
- stops per hour: visits done and failed attempts over driven hours.
- utilisation: load = delivery weight of the planned routes over their vehicles' weight
  capacity; time = planned route duration over shift length (sums over the routes, not an
  average of ratios).
- ETA error: for each stop, the last ETA predicted at least 30 minutes before the courier
  arrived, minus the arrival (positive: predicted too late); mean, mean absolute, p90 absolute.
- inspection pass rate: inspections (a corrected log counts once, as corrected) that passed.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from infra.models import StopEventKind
from reports.frames import OUTCOMES
from reports.grouping import By, grouped
from reports.inputs import Frames
from tracking.driven import trail_length_m

ETA_LEAD = timedelta(minutes=30)


def _route_ends(data: Frames) -> pd.Series:
    """When each route ended: its finish, else its courier's last stop event that day."""
    routes = data.routes
    last_event = data.events.groupby(["courier", "day"])["occurred_at"].max()
    keys = pd.MultiIndex.from_arrays([routes["courier"], routes["day"]])
    ends = routes["finished_at"]
    # Of the column's own type: with no stop event yet the fallback is all NaT of another
    # unit, and filling with another dtype is refused by newer pandas.
    fallback = pd.Series(
        pd.to_datetime(last_event.reindex(keys).to_numpy(), utc=True), index=routes.index
    ).astype(ends.dtype)
    return ends.fillna(fallback)


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
    sums = grouped(routes, by)[["driven_m", "driven_s", "stops_done"]].sum(min_count=1)
    planned = data.planned_routes.assign(shift_s=_shift_s(data.planned_routes))
    planned_sums = grouped(planned, by)[
        ["distance_m", "duration_s", "load_weight_g", "max_weight_g", "shift_s"]
    ].sum(min_count=1)
    sums = sums.join(planned_sums, how="outer")
    result = pd.DataFrame(index=sums.index)
    result["routes"] = grouped(routes, by).size()
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
    result: pd.DataFrame = grouped(last, by).agg(
        eta_predictions=("error_min", "count"),
        eta_error_avg_min=("error_min", "mean"),
        eta_abs_error_avg_min=("abs_error_min", "mean"),
        eta_abs_error_p90_min=("abs_error_min", lambda s: s.quantile(0.9)),
    )
    return result


def inspections(data: Frames, by: By | None) -> pd.DataFrame:
    logs = data.inspections.assign(passed=data.inspections["passed"].astype(bool))
    result: pd.DataFrame = grouped(logs, by).agg(
        inspections=("id", "count"), inspection_pass_rate=("passed", "mean")
    )
    return result
