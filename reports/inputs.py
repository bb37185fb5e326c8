"""The frames one KPI report is computed from, read together from the period's rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from reports import frames, service_frames
from reports.frames import Period


@dataclass(frozen=True, slots=True)
class Frames:
    events: pd.DataFrame
    windows: pd.DataFrame
    routes: pd.DataFrame
    # The routes as the day's plan was first published: what was planned, before replans.
    planned_routes: pd.DataFrame
    pings: pd.DataFrame
    etas: pd.DataFrame
    inspections: pd.DataFrame
    holds: pd.DataFrame
    feedback: pd.DataFrame
    unserved: pd.DataFrame
    complaints: pd.DataFrame
    compensations: pd.DataFrame


def load(
    session: Session, period: Period, *, as_of: datetime, depot_id: int | None = None
) -> Frames:
    """`as_of` is when complaints are judged overdue; with `depot_id` only that depot's rows
    are read, those its group of a report by depot holds."""
    plan_ids = frames.day_plan_ids(session, period)
    events = frames.stop_events(session, period, depot_id=depot_id)
    # Windows, feedback, ETAs and pings are read for (or joined to) these events and routes:
    # they keep to the depot with them.
    order_ids = [int(i) for i in events["order_id"].unique()]
    routes = frames.routes(session, plan_ids, depot_id=depot_id)
    courier_ids = [int(i) for i in routes["courier_id"].dropna().unique()]
    first_published = frames.day_plan_ids(session, period, as_first_published=True)
    return Frames(
        events=events,
        windows=frames.windows(session, order_ids),
        routes=routes,
        planned_routes=frames.routes(session, first_published, depot_id=depot_id),
        pings=frames.pings(session, courier_ids, period),
        etas=frames.eta_predictions(session, period),
        inspections=frames.inspections(session, period, depot_id=depot_id),
        holds=frames.holds(session, period, depot_id=depot_id),
        feedback=frames.feedback(session, order_ids),
        unserved=frames.unserved(session, plan_ids, depot_id=depot_id),
        complaints=service_frames.complaints(session, period, as_of, depot_id=depot_id),
        compensations=service_frames.compensations(session, period, depot_id=depot_id),
    )
