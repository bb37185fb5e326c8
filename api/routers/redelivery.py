"""After a failed attempt: the customer picks a new window or a pickup point by tracking code;
a dispatcher hands over an order collected at the depot."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import DispatchActor
from api.depot_scope import OrderId
from api.deps import NowDep, SessionDep, SettingsDep
from api.routers.track_page import LimiterDep, answer_by_code
from api.schemas.redelivery import CollectedIn, RedeliveryIn, RedeliveryOptionsOut, RedeliveryOut
from customers import redelivery, tracking_view

PUBLIC_PATHS = frozenset({"/track/{code}/redelivery"})

router = APIRouter(tags=["customer tracking"])


@router.get("/track/{code}/redelivery", response_model=RedeliveryOptionsOut)
def get_redelivery_options(
    code: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    limiter: LimiterDep,
) -> Response:
    """Anyone with the code of an order whose attempt failed: the windows of the next operating
    day that can still be promised (the others with why not) and the pickup points, nearest
    first. 409 `redelivery_not_open` for an order in another state."""

    def answer() -> RedeliveryOptionsOut:
        order = tracking_view.find_order(session, code)
        options = redelivery.options(
            session, order, now=now, settings=redelivery.Settings.of(settings)
        )
        return RedeliveryOptionsOut.of(options)

    return answer_by_code(request, limiter, now, answer)


@router.post("/track/{code}/redelivery", status_code=201, response_model=RedeliveryOut)
def post_redelivery(
    code: str,
    body: RedeliveryIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    limiter: LimiterDep,
) -> Response:
    """Anyone with the code, once per failed attempt: `window` books a new delivery (judged
    again now: 409 `slot_unavailable` when it can no longer be kept), `pickup_point_id` keeps
    the order at that depot for collection."""

    def answer() -> RedeliveryOut:
        choice = body.window_choice()
        if choice is not None:
            order = redelivery.choose_window(
                session, code, choice, now=now, settings=redelivery.Settings.of(settings)
            )
        else:
            order = redelivery.choose_pickup_point(
                session, code, body.pickup_point_id or 0, now=now
            )
        return RedeliveryOut.of(order)

    return answer_by_code(request, limiter, now, answer, status=201)


@router.post("/orders/{order_id}/collected")
def post_collected(
    order_id: OrderId, body: CollectedIn, session: SessionDep, now: NowDep, actor: DispatchActor
) -> RedeliveryOut:
    """Dispatchers: the customer collected the order waiting at its depot; it is delivered.
    409 `collection_not_waiting` unless the order waits for collection."""
    order = redelivery.hand_over(
        session, order_id, recipient_name=body.recipient_name, now=now, by_id=actor.user_id
    )
    return RedeliveryOut.of(order)
