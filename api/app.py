"""The FastAPI application: create_app(settings) wires routers, error handlers and the database."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from xstatic.pkg import leaflet as xstatic_leaflet

from api.admission import DatabaseAdmission
from api.errors import PROBLEM_MEDIA_TYPE, install_error_handlers
from api.routers import (
    accounts,
    admin_clock,
    compensation,
    complaints,
    courier,
    courier_page,
    dashboard_page,
    depots,
    fleet,
    health,
    inspections,
    kpis,
    live,
    metrics,
    notifications,
    orders,
    pages,
    plans,
    redelivery,
    replans,
    routes,
    slots,
    track_page,
    tracking,
    warehouse,
)
from api.schemas.common import Problem
from customers import tracking_view
from dispatch.plan_job_queue import JobRequestIds, enqueue_after_commit
from dispatch.plan_job_worker import queue_plan_jobs_through
from dispatch.plan_jobs import PlanJobRunner, runner_config
from infra import position_cache
from infra.clock import Clock, SettableClock, SystemClock
from infra.db import make_engine, make_session_factory
from infra.geocoding import make_geocoder
from infra.migrate import ensure_schema_current
from infra.position_cache import PositionCache
from infra.redis_client import make_redis
from infra.settings import Settings
from infra.structured_logs import configure_logging
from tracking import notifications as outbox
from tracking import public_etas, refresh_pace
from tracking.delivery.from_settings import make_sender_thread
from tracking.delivery.runner import SenderThread

log = logging.getLogger(__name__)

# Reachable without a token: everything else requires one.
PUBLIC_PATHS = (
    frozenset(
        {"/health", "/auth/token", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
    )
    | pages.PAGE_PATHS
    | track_page.PUBLIC_PATHS
    | complaints.PUBLIC_PATHS
    | redelivery.PUBLIC_PATHS
    | courier_page.PAGE_PATHS
    | dashboard_page.PAGE_PATHS
)  # pages answer anonymous callers with the sign-in form instead


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": Problem,
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status, description in [
        (401, "No valid bearer token"),
        (403, "The caller's role may not do this"),
        (404, "Unknown id, or an object the caller may not see"),
        (409, "Conflicts with the current state (the detail says what blocks it)"),
        (422, "Invalid input: `errors` lists every field and reason"),
    ]
}


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    """Builds the application; the database is checked when it starts serving.

    `clock` is where requests and plan jobs read the time; by default the real clock, or a
    settable one starting now when `settings.operation.settable_clock` is on.
    """
    if clock is None:
        clock = (
            SettableClock(SystemClock().now())
            if settings.operation.settable_clock
            else SystemClock()
        )
    engine = make_engine(settings)
    session_factory = make_session_factory(engine)
    if settings.tracking.eta_refresh_s > 0:
        # Else every ping refreshes the ETAs, and every read of the page projects them.
        public_etas.install(
            session_factory, public_etas.PublicEtas(slice_s=settings.tracking.eta_refresh_s)
        )
    tracking_view.install_memo(session_factory, tracking_view.TrackingMemo())
    refresh_pace.install(session_factory, refresh_pace.RefreshPace(settings.tracking.eta_refresh_s))
    outbox.enable_shop_copies(session_factory, settings.notifications)
    positions = None
    if settings.redis_url:
        # Installed before the live relay: a page woken by a commit reads the new position.
        positions = PositionCache(make_redis(settings.redis_url), settings.redis_namespace)
        position_cache.install(session_factory, positions)
    request_ids: JobRequestIds | None = None
    if settings.planning.executor == "celery":
        queue_plan_jobs_through(session_factory, settings)
    elif settings.planning.run_jobs_in_process:
        # The runner below takes each job's request id from here, for its log lines.
        request_ids = JobRequestIds()
        enqueue_after_commit(session_factory, request_ids.note)
    geocoder = make_geocoder(settings.geocoder)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner: PlanJobRunner | None = None
        sender: SenderThread | None = None
        try:
            ensure_schema_current(engine)
            if settings.secret_key_generated:
                log.warning(
                    "SAMEDAY_SECURITY_SECRET_KEY is not set: tokens are signed with a random key "
                    "for this process and stop working when it restarts"
                )
            if settings.planning.executor == "in_process" and settings.planning.run_jobs_in_process:
                runner = PlanJobRunner(
                    session_factory,
                    runner_config(settings),
                    now=clock.now,
                    request_ids=request_ids,
                )
                runner.start()
            app.state.runner = runner
            if settings.notifications.send_in_process:
                sender = make_sender_thread(session_factory, settings)
                sender.start()
            app.state.notification_sender = sender
            if app.state.live_relay is not None:
                app.state.live_relay.start()
            yield
        finally:
            if app.state.live_relay is not None:
                app.state.live_relay.stop()
            if sender is not None:
                sender.stop()
            if runner is not None:
                runner.stop()
            if positions is not None:
                positions.close()
            engine.dispose()

    app = FastAPI(
        title="sameday",
        summary="Same-day courier delivery: orders, fleet, routes and tracking.",
        version="0.1.0",
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.geocoder = geocoder
    app.state.runner = None
    app.state.notification_sender = None
    install_error_handlers(app)
    # A request is matched against the routes in this order: the most requested first (the
    # couriers' pings, the customers' tracking pages), which were matched after every other.
    for module in (
        tracking,
        track_page,
        health,
        accounts,
        depots,
        fleet,
        orders,
        routes,
        plans,
        replans,
        courier,
        courier_page,
        pages,
        dashboard_page,
        warehouse,
        inspections,
        kpis,
        notifications,
        admin_clock,
        slots,
        complaints,
        redelivery,
        compensation,
    ):
        app.include_router(module.router)
    live.install(app, session_factory, settings)
    # Inside the request timing and id (metrics), so a request refused as busy has both.
    app.add_middleware(DatabaseAdmission, settings=settings)
    metrics.install(app)
    app.mount(pages.LEAFLET_URL, StaticFiles(directory=xstatic_leaflet.BASE_DIR), name="leaflet")
    app.mount(
        courier_page.STATIC_URL, StaticFiles(directory=courier_page.STATIC_DIR), name="courier"
    )
    return app


def make_app() -> FastAPI:
    """Entry point for `uvicorn --factory api.app:make_app`: settings from the environment."""
    settings = Settings()
    configure_logging(settings.log)
    app = create_app(settings)
    freeze_startup_heap()
    return app


def freeze_startup_heap() -> None:
    """Puts what the serving process has loaded so far (modules, OR-Tools, templates) out of
    the garbage collector's full passes, for entry points that serve, once the app is built.

    It lives as long as the process, and a full pass rescans it every few requests that load a
    day's plan: about 0.1 s each on a small machine, which was the p95 of a slot query.
    """
    gc.collect()
    gc.freeze()
