"""What the dispatcher page's live panel starts from; its script follows the event stream."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from dispatch import replanning
from infra import live_events
from tracking import lateness, live_view


@dataclass(frozen=True, slots=True)
class ProposalRow:
    job_id: int
    trigger: str | None
    reason: str | None
    summary: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LivePanel:
    day: date
    # The stream starts after this event: the page shows what was recorded up to it.
    after_id: int
    late: list[lateness.LateStop]
    proposals: list[ProposalRow]
    # The day's orders done so far, so the map shows their stops as done from the start.
    done_order_ids: list[int]
    failed_order_ids: list[int]


def live_panel(session: Session, day: date, *, depot_id: int | None = None) -> LivePanel:
    """The panel of `day`, of depot `depot_id` only unless it is None."""
    # Read first: an event recorded while the rest is read is streamed again, and the page
    # applies each event by its key (order, job), so it is shown once all the same.
    after_id = live_events.latest_event_id(session)
    proposals = [
        ProposalRow(
            job_id=job.id,
            trigger=job.trigger.value if job.trigger else None,
            reason=job.reason,
            summary=(job.diff or {}).get("summary"),
            created_at=job.created_at,
        )
        for job in replanning.list_replans(session, day=day, undecided_only=True, depot_id=depot_id)
    ]
    delivered, failed = live_view.finished_orders(session, day, depot_id=depot_id)
    return LivePanel(
        day,
        after_id,
        lateness.late_stops(session, day=day, depot_id=depot_id),
        proposals,
        done_order_ids=delivered,
        failed_order_ids=failed,
    )
