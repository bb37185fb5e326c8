"""The customer's tracking page: reached by the order's unguessable code, no sign-in.

Every unknown code answers the same 404; a client that misses too often is refused (429)
for a while, hits included, so codes cannot be guessed by trying.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import NowDep, SessionDep, SettingsDep
from api.errors import problem_response
from api.rate_limit import MissLimiter, make_miss_limiter
from api.schemas.common import ResponseModel
from api.schemas.track_page import FeedbackIn, FeedbackOut, TrackingOut
from customers import redelivery, tracking_view
from customers.errors import TrackingCodeUnknown
from infra.models import OrderStatus

PUBLIC_PATHS = frozenset({"/track/{code}", "/track/{code}/feedback"})

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
router = APIRouter(tags=["customer tracking"])
_limiter_lock = threading.Lock()


async def get_miss_limiter(request: Request) -> MissLimiter:
    """One limiter per application, made on first use from its settings."""
    state = request.app.state
    with _limiter_lock:
        limiter: MissLimiter | None = getattr(state, "tracking_miss_limiter", None)
        if limiter is None:
            limiter = make_miss_limiter(state.settings)
            state.tracking_miss_limiter = limiter
    return limiter


LimiterDep = Annotated[MissLimiter, Depends(get_miss_limiter)]


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def too_many_misses(retry_after_s: int) -> JSONResponse:
    return problem_response(
        status=429,
        code="too_many_misses",
        title="Too many unknown tracking codes",
        detail=f"too many unknown tracking codes from this client; retry in {retry_after_s} s",
        headers={"Retry-After": str(retry_after_s)},
    )


def answer_by_code(
    request: Request,
    limiter: MissLimiter,
    now: datetime,
    answer: Callable[[], ResponseModel],
    *,
    status: int = 200,
) -> Response:
    """Answers a customer by tracking code as the page does: an unknown code is a miss, and a
    client that missed too often is refused (429) before its code is even looked at."""
    wait_s = limiter.blocked_for_s(client_key(request), now)
    if wait_s is not None:
        return too_many_misses(wait_s)
    try:
        out = answer()
    except TrackingCodeUnknown:
        limiter.record_miss(client_key(request), now)
        raise
    return _json(out, status=status)


def _json(
    out: ResponseModel, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """`out` as JSON, serialised by pydantic in one step (the most read page of all)."""
    return Response(
        out.model_dump_json(), status_code=status, headers=headers, media_type="application/json"
    )


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


@router.get("/track/{code}", response_model=TrackingOut)
def track(
    code: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    limiter: LimiterDep,
) -> Response:
    """Anyone with the code: the order's status, ETA window and progress (HTML for browsers)."""
    wait_s = limiter.blocked_for_s(client_key(request), now)
    if wait_s is not None:
        if _wants_html(request):
            # A person at a browser gets a page that says what happened, not a JSON document.
            return templates.TemplateResponse(
                request,
                "track.html.j2",
                {"view": None, "zone": None, "retry_after_min": max(1, -(-wait_s // 60))},
                status_code=429,
                headers={"Retry-After": str(wait_s)},
            )
        return too_many_misses(wait_s)
    try:
        view = tracking_view.tracking_view(session, code, now=now, settings=settings.tracking)
    except TrackingCodeUnknown:
        limiter.record_miss(client_key(request), now)
        if _wants_html(request):
            return templates.TemplateResponse(
                request, "track.html.j2", {"view": None, "zone": None}, status_code=404
            )
        raise
    if _wants_html(request):
        redelivery_options = None
        if view.status is OrderStatus.FAILED:
            # The page offers the choice at once; the JSON has its own address for it.
            redelivery_options = redelivery.options(
                session,
                tracking_view.find_order(session, code),
                now=now,
                settings=redelivery.Settings.of(settings),
            )
        return templates.TemplateResponse(
            request,
            "track.html.j2",
            {
                "view": TrackingOut.of(view),
                "zone": settings.operation.zone,
                "redelivery": redelivery_options,
            },
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )
    return _json(TrackingOut.of(view), headers={"Cache-Control": "no-store"})


@router.post("/track/{code}/feedback", status_code=201, response_model=FeedbackOut)
def post_feedback(
    code: str,
    body: FeedbackIn,
    request: Request,
    session: SessionDep,
    now: NowDep,
    limiter: LimiterDep,
) -> Response:
    """Anyone with the code, once the order is delivered: a 1-5 rating and a comment, once."""

    def answer() -> FeedbackOut:
        feedback = tracking_view.give_feedback(
            session, code, rating=body.rating, comment=body.comment, now=now
        )
        return FeedbackOut(
            rating=feedback.rating, comment=feedback.comment, created_at=feedback.created_at
        )

    return answer_by_code(request, limiter, now, answer, status=201)
