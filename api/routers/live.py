"""The live view for dispatchers: the event stream (server-sent events) and couriers on the road."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from api.auth import DispatchActor
from api.depot_scope import DepotFilter
from api.deps import NowDep, SessionDep, SettingsDep
from api.live_hub import LiveHub, StreamFilter
from api.live_stream import EventStreamResponse, StreamLimits, event_stream
from api.schemas.common import MAX_ID
from api.schemas.live import CourierOnRouteOut
from infra import live_events
from infra.live_relay import LiveRelay
from infra.live_signal import LiveSignal
from infra.settings import Settings
from tracking import live_view

STATIC_URL = "/static/live"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "live"
MAX_EVENTS_PER_REQUEST = 10_000

router = APIRouter(tags=["live"])


def install(app: FastAPI, sessions: sessionmaker[Session], settings: Settings) -> None:
    """The process's event reader, woken by every commit that recorded live events, and the
    dispatcher page's live script."""
    signal = LiveSignal()
    relay = (
        LiveRelay(settings.redis_url, settings.redis_namespace, signal.ring)
        if settings.redis_url
        else None
    )
    live_events.ring_after_commit(
        sessions, signal.ring if relay is None else ring_everywhere(signal, relay)
    )
    # Started and stopped with the app (its lifespan): it listens to other processes' commits.
    app.state.live_relay = relay
    app.state.live_hub = LiveHub(sessions, signal, settings.live)
    app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="live")


def ring_everywhere(signal: LiveSignal, relay: LiveRelay) -> Callable[[], None]:
    """Wakes this process's streams, then every other API process's."""

    def ring() -> None:
        signal.ring()
        relay.publish()

    return ring


def get_hub(request: Request) -> LiveHub:
    hub: LiveHub = request.app.state.live_hub
    return hub


@router.get(
    "/live/events",
    status_code=200,
    response_class=EventStreamResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Events as they are committed: `id`, `event` (the kind) and `data` "
            "(JSON: id, kind, at, service_date, depot_id, route_id, courier_id, order_id, "
            "payload)",
        },
        503: {"description": "This server already serves its limit of open streams"},
    },
)
async def stream_live_events(
    request: Request,
    settings: SettingsDep,
    now: NowDep,
    hub: Annotated[LiveHub, Depends(get_hub)],
    _actor: DispatchActor,
    depot_id: DepotFilter,
    day: date | None = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    max_events: Annotated[int | None, Query(ge=1, le=MAX_EVENTS_PER_REQUEST)] = None,
    timeout_s: Annotated[float | None, Query(gt=0, le=24 * 3600)] = None,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0, le=MAX_ID)] = None,
) -> EventStreamResponse:
    """Dispatchers and admins: the live events of `day` (default today), of one depot when
    `depot_id` is given: courier positions, stop events, departures, ETAs, late stops and
    replans, as server-sent events whose `id` is the event's id in the log.

    It starts after the `Last-Event-ID` header (sent by a reconnecting browser) or `after`,
    else with what happens from now on, and stays open (a comment every 15 s keeps it alive)
    until the client leaves, or after `max_events` events or `timeout_s` seconds. 503 when the
    server already serves its limit of open streams.
    """
    slot = hub.reserve()
    content = event_stream(
        hub,
        slot,
        StreamFilter(day or now.astimezone(settings.operation.zone).date(), depot_id),
        after=last_event_id if last_event_id is not None else after,
        limits=StreamLimits(max_events, timeout_s),
        disconnected=request.is_disconnected,
    )
    return EventStreamResponse(content, slot)


@router.get("/live/couriers")
def live_couriers(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    _actor: DispatchActor,
    depot_id: DepotFilter,
    day: date | None = None,
) -> list[CourierOnRouteOut]:
    """Dispatchers and admins: every courier with a route in the published plans of `day`
    (default today): the route's state, the latest position since its departure, the next
    stop with its latest ETA, and how many stops are late."""
    service_day = day or now.astimezone(settings.operation.zone).date()
    found = live_view.couriers_on_day(session, service_day, depot_id=depot_id)
    return [CourierOnRouteOut.model_validate(c) for c in found]
