"""The FastAPI application: create_app(settings) wires routers, error handlers and the database."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routers import accounts, depots, fleet, health, orders, routes
from infra.db import make_engine, make_session_factory
from infra.geocoding import make_geocoder
from infra.migrate import ensure_schema_current
from infra.settings import Settings

log = logging.getLogger(__name__)

# Reachable without a token: everything else requires one.
PUBLIC_PATHS = frozenset(
    {"/health", "/auth/token", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)


def create_app(settings: Settings) -> FastAPI:
    """Builds the application; the database is checked when it starts serving."""
    engine = make_engine(settings)
    geocoder = make_geocoder(settings.geocoder)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            ensure_schema_current(engine)
            if settings.secret_key_generated:
                log.warning(
                    "SAMEDAY_SECURITY_SECRET_KEY is not set: tokens are signed with a random key "
                    "for this process and stop working when it restarts"
                )
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="sameday",
        summary="Same-day courier delivery: orders, fleet, routes and tracking.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.geocoder = geocoder
    install_error_handlers(app)
    for module in (health, accounts, depots, fleet, orders, routes):
        app.include_router(module.router)
    return app


def make_app() -> FastAPI:
    """Entry point for `uvicorn --factory api.app:make_app`: settings from the environment."""
    return create_app(Settings())
