"""GET /metrics: the Prometheus text exposition, for a scraper holding the metrics token.

A plain route outside the OpenAPI surface: its reader is a scraper, not a user, so it is
guarded by its own bearer token (SAMEDAY_METRICS_TOKEN) instead of a role, and needs no
database to decide.
"""

from __future__ import annotations

import hmac

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from api.errors import problem_response
from api.observability import ObservedRequests
from infra import metrics
from infra.settings import MetricsSettings

PATH = "/metrics"


def refusal(settings: MetricsSettings, authorization: str | None) -> str | None:
    """Why this Authorization header may not read the metrics, if it may not."""
    if settings.public:
        return None
    if settings.token is None:
        return "metrics are readable only with SAMEDAY_METRICS_TOKEN, which is not set"
    scheme, _, credentials = (authorization or "").partition(" ")
    expected = settings.token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.encode(), expected):
        return "send 'Authorization: Bearer <metrics token>'"
    return None


def read_metrics(request: Request) -> Response:
    # A plain (sync) function: run in a worker thread, since the job counts query the database.
    why = refusal(request.app.state.settings.metrics, request.headers.get("authorization"))
    if why is not None:
        return problem_response(
            status=401,
            code="not_authenticated",
            title="Authentication required",
            detail=why,
            instance=request.url.path,
            headers={"WWW-Authenticate": "Bearer"},
        )
    body = metrics.exposition(request.app.state.session_factory)
    return Response(body, media_type=metrics.EXPOSITION_MEDIA_TYPE)


def install(app: FastAPI) -> None:
    """The metrics route, and the middleware that names and times every request."""
    app.add_route(PATH, read_metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(ObservedRequests)
