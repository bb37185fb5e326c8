"""KPIs of the visits and of the orders kept from them: on time, first attempt, lateness,
failed attempts, unserved orders and holds.

- on-time rate: visits done (delivered, or a return picked up) at a time inside one of the
  order's promised windows (no tolerance; an order without windows is on time), over visits
  done plus failed attempts. An early visit is not on time.
- first-attempt success: orders whose first attempt was a success, over orders attempted.
- lateness: for a visit done after a window closed and inside none, the time since the end of
  the last window that closed before it; average and p90 over those late visits only.
- unserved orders: the orders the day's plan left out, by the plan's reason code.
- holds: holds placed in the period by cause, with the orders they took out of planning.
"""

from __future__ import annotations

import pandas as pd

from infra.models import StopEventKind
from reports.frames import OUTCOMES, SUCCESS
from reports.grouping import NO_GROUP, By, counted, group_of, grouped
from reports.inputs import Frames


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
    result = grouped(done, by).agg(
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
    first_attempts = grouped(first, by)["success"]
    result["orders_attempted"] = first_attempts.count()
    result["first_attempt_rate"] = first_attempts.mean()
    return result


def failed_by_reason(data: Frames, by: By | None) -> pd.DataFrame:
    failed = data.events[data.events["kind"] == StopEventKind.FAILED]
    failed = failed.assign(reason=failed["failure_reason"].map(lambda r: str(r) if r else NO_GROUP))
    return counted(failed, by, "reason", "attempts")


def unserved(data: Frames, by: By | None) -> pd.DataFrame:
    result: pd.DataFrame = grouped(data.unserved, by).agg(unserved_orders=("order_id", "nunique"))
    return result


def unserved_by_reason(data: Frames, by: By | None) -> pd.DataFrame:
    return counted(data.unserved, by, "reason_code", "orders")


def holds(data: Frames, by: By | None) -> pd.DataFrame:
    result: pd.DataFrame = grouped(data.holds, by).agg(
        holds=("id", "count"), orders_held=("orders", "sum")
    )
    return result


def holds_by_cause(data: Frames, by: By | None) -> pd.DataFrame:
    """Holds per group and cause (column `reason`), with the orders they took out of planning."""
    held = data.holds.assign(cause=data.holds["reason"].map(str))
    result = counted(held, by, "cause", "holds")
    labelled = held.assign(group=group_of(held, by) if len(held) else [])
    orders = labelled.groupby(["group", "cause"])["orders"].sum()
    keys = pd.MultiIndex.from_arrays([result["group"], result["reason"]])
    result["orders_affected"] = orders.reindex(keys).fillna(0).astype(int).to_numpy()
    return result
