"""Replans of a day under way: ask for one, see what each would change, accept or reject it."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from api.auth import DispatchActor
from api.depot_scope import DepotFilter, PlanId, ReplanId
from api.deps import NowDep, SessionDep, SettingsDep
from api.schemas.plans import PlanJobOut, ReplanRequest
from dispatch import plans, replanning
from dispatch.errors import ReplanNotDecidable
from infra.models import ReplanTrigger

router = APIRouter(tags=["replans"])


@router.post("/plans/{plan_id}/replan", status_code=202)
def request_replan(
    plan_id: PlanId,
    payload: ReplanRequest,
    session: SessionDep,
    settings: SettingsDep,
    actor: DispatchActor,
) -> PlanJobOut:
    """Dispatchers and admins: re-optimise the rest of a live plan from where couriers are now.

    The result is proposed (see `/replans`); 409 when one is already waiting or running.
    """
    base = plans.get_plan(session, plan_id)
    job = replanning.queue_replan(
        session,
        base,
        trigger=ReplanTrigger.MANUAL,
        reason=payload.reason,
        requested_by_id=actor.user_id,
        time_limit_s=payload.time_limit_s or settings.replanning.time_limit_s,
    )
    if job is None:
        raise ReplanNotDecidable(
            f"plan {plan_id} is {base.status.value} or already being replanned; "
            f"see /replans for the one under way",
            plan_id=plan_id,
        )
    return PlanJobOut.model_validate(job)


@router.get("/replans")
def list_replans(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    _actor: DispatchActor,
    depot_id: DepotFilter,
    day: date | None = None,
    undecided: bool = False,
) -> list[PlanJobOut]:
    """Dispatchers and admins: the replans of `day` (default today), newest first; `undecided`
    keeps the finished proposals waiting for a decision."""
    service_day = day or now.astimezone(settings.operation.zone).date()
    found = replanning.list_replans(
        session, day=service_day, undecided_only=undecided, depot_id=depot_id
    )
    return [PlanJobOut.model_validate(job) for job in found]


@router.get("/replans/{job_id}")
def get_replan(job_id: ReplanId, session: SessionDep, _actor: DispatchActor) -> PlanJobOut:
    """Dispatchers and admins: a replan with its difference and decision."""
    return PlanJobOut.model_validate(replanning.get_replan(session, job_id))


@router.post("/replans/{job_id}/accept")
def accept_replan(
    job_id: ReplanId, session: SessionDep, now: NowDep, actor: DispatchActor
) -> PlanJobOut:
    """Dispatchers and admins: publish the proposal; customers whose ETA moved are told.

    409 when it was decided already, or the day overtook it (a route it plans as waiting has
    departed, or another version was published): ask for a new one.
    """
    replanning.accept_replan(session, job_id, by_id=actor.user_id, now=now)
    return PlanJobOut.model_validate(replanning.get_replan(session, job_id))


@router.post("/replans/{job_id}/reject")
def reject_replan(
    job_id: ReplanId, session: SessionDep, now: NowDep, actor: DispatchActor
) -> PlanJobOut:
    """Dispatchers and admins: turn the proposal down; its draft plan is discarded."""
    job = replanning.reject_replan(session, job_id, by_id=actor.user_id, now=now)
    return PlanJobOut.model_validate(job)
