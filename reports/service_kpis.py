"""Customer-service KPIs: satisfaction, complaints and compensation.

- CSAT: the mean feedback rating (1-5) and the share of ratings 4 or 5, on the day the order
  was delivered.
- complaints: opened in the period (on the day opened), and per 1,000 deliveries of the same
  group; overdue: of those, the ones still open or in progress past their due time now, as
  GET /complaints?overdue=true lists them.
- time to resolve: from opening to closing (resolved or rejected), in hours, over the
  complaints closed in the period (on the day closed); average and p90.
- compensation: issued in the period (on the day issued) and not voided since; the count, the
  discount codes' value in the operation's currency and the bonus points, each summed apart.
"""

from __future__ import annotations

import pandas as pd

from reports.frames import SUCCESS
from reports.grouping import By, grouped
from reports.inputs import Frames


def satisfaction(data: Frames, by: By | None) -> pd.DataFrame:
    done = data.events[data.events["kind"].isin(SUCCESS)].drop_duplicates("order_id")
    rated = data.feedback.merge(done[["order_id", "day", "depot", "courier"]], on="order_id")
    rated["top"] = rated["rating"] >= 4
    result: pd.DataFrame = grouped(rated, by).agg(
        ratings=("rating", "count"), csat_avg=("rating", "mean"), csat_share_4_5=("top", "mean")
    )
    return result


def complaints(data: Frames, by: By | None) -> pd.DataFrame:
    every = data.complaints
    opened = every[every["opened"]].assign(day=every["opened_day"])
    result = grouped(opened, by).agg(
        complaints=("id", "count"), complaints_overdue=("overdue", "sum")
    )
    closed = every[every["closed"]].assign(day=every["closed_day"])
    closed = closed.assign(
        hours=(closed["closed_at"] - closed["created_at"]).dt.total_seconds() / 3600
    )
    resolved = grouped(closed, by).agg(
        complaints_closed=("id", "count"),
        complaint_resolution_avg_h=("hours", "mean"),
        complaint_resolution_p90_h=("hours", lambda s: s.quantile(0.9)),
    )
    done = data.events[data.events["kind"].isin(SUCCESS)]
    delivered = grouped(done, by).size()
    result = pd.concat([result, resolved], axis=1)
    # Groups with deliveries and no complaint have a rate of 0.
    result = result.reindex(result.index.union(delivered.index))
    result["complaints_per_1000_deliveries"] = (
        1000 * result["complaints"].fillna(0) / delivered.reindex(result.index)
    )
    return result


def compensation(data: Frames, by: By | None) -> pd.DataFrame:
    issued = data.compensations
    issued = issued.assign(
        amount=issued["amount_cents"].astype(float).fillna(0) / 100,
        points=issued["points"].astype(float).fillna(0),
    )
    result: pd.DataFrame = grouped(issued, by).agg(
        compensations=("id", "count"),
        compensation_amount=("amount", "sum"),
        compensation_points=("points", "sum"),
    )
    return result
