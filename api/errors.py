"""Problem details (RFC 9457): the one table from error kind to HTTP status, and the handlers."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from infra.errors import (
    Conflict,
    DomainError,
    FieldProblem,
    Forbidden,
    Invalid,
    NotFound,
    Unavailable,
)
from infra.structured_logs import current_request_id

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:sameday:problem:"
# Seconds a client is asked to wait before it retries a request the database could not take.
DATABASE_RETRY_AFTER_S = 1

STATUS_BY_KIND: Mapping[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    Forbidden: 403,
    Unavailable: 503,
}


class NotAuthenticated(Exception):
    """No usable credentials came with the request (401)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def status_for(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS_BY_KIND:
            return STATUS_BY_KIND[kind]
    return 500


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None = None,
    errors: Sequence[FieldProblem] = (),
    ids: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    if errors:
        body["errors"] = [
            {"field": e.field, "reason": e.reason} | ({"row": e.row} if e.row is not None else {})
            for e in errors
        ]
    for name, value in (ids or {}).items():
        body.setdefault(name, value)
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {})
    )


def _field_path(location: Sequence[int | str]) -> str:
    """`("body", "parcels", 0, "weight_kg")` -> `parcels[0].weight_kg`; others keep the source."""
    parts = list(location)
    if parts and parts[0] == "body":
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def _reason(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "is invalid"))
    # Our own validators raise ValueError("reason"); pydantic prefixes it.
    return message.removeprefix("Value error, ")


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem_response(
        status=status_for(exc),
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        instance=request.url.path if exc.instance_in_body else None,
        errors=exc.problems if isinstance(exc, Invalid) else (),
        ids=exc.ids,
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldProblem(_field_path(error.get("loc", ())), _reason(error)) for error in exc.errors()
    ]
    fields = ", ".join(dict.fromkeys(e.field for e in errors))
    return problem_response(
        status=422,
        code="validation_failed",
        title="The request is not valid",
        detail=f"invalid value(s) in: {fields}",
        instance=request.url.path,
        errors=errors,
    )


async def _on_not_authenticated(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotAuthenticated)
    return problem_response(
        status=401,
        code=exc.code,
        title="Authentication required",
        detail=exc.detail,
        instance=request.url.path,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    code = phrase.lower().replace(" ", "_").replace("-", "_")
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    return problem_response(
        status=exc.status_code,
        code=code,
        title=phrase,
        detail=detail,
        instance=request.url.path,
        headers=exc.headers,
    )


def retry_later(
    *, code: str, title: str, detail: str, instance: str | None, retry_after_s: int
) -> JSONResponse:
    """A 503 the client may send again unchanged (the same idempotency key or event id)
    after Retry-After."""
    return problem_response(
        status=503,
        code=code,
        title=title,
        detail=detail,
        instance=instance,
        headers={"Retry-After": str(retry_after_s)},
    )


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    # The server is down, restarting, recovering or dropped the connection: the pool replaces
    # the connection (infra.db.ping_after_idle) once it is back, so the same request may
    # simply be retried.
    # Whether a commit cut off in flight took effect is unknown: the retry's idempotency key
    # or event id makes it count once.
    if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
        raise exc  # to the handler of unexpected errors
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
    return retry_later(
        code="database_unavailable",
        title="The database is unavailable",
        detail="the database did not answer; retry the request shortly",
        instance=request.url.path,
        retry_after_s=DATABASE_RETRY_AFTER_S,
    )


async def _on_pool_timeout(request: Request, exc: Exception) -> JSONResponse:
    # Every connection stayed taken for database.pool_timeout_s (admission keeps requests
    # from waiting for one, so this is work outside requests holding them): busy, not broken.
    log.warning("no database connection for %s %s: %s", request.method, request.url.path, exc)
    return retry_later(
        code="database_busy",
        title="The database is busy",
        detail="no database connection came free in time; retry the request shortly",
        instance=request.url.path,
        retry_after_s=DATABASE_RETRY_AFTER_S,
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    # This handler answers outside the request id middleware: the id is added here, so that
    # the caller can quote it and it finds the logged error.
    request_id = current_request_id()
    return problem_response(
        status=500,
        code="internal_error",
        title="Internal server error",
        detail="the server failed to handle the request; the error has been logged",
        instance=request.url.path,
        ids={"request_id": request_id} if request_id else None,
        headers={"X-Request-ID": request_id} if request_id else None,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(NotAuthenticated, _on_not_authenticated)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(PoolTimeout, _on_pool_timeout)
    app.add_exception_handler(Exception, _on_unexpected)
