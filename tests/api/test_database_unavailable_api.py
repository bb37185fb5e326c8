"""A database that does not answer is a 503 the client may retry; other database errors a 500."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError, OperationalError


class _DriverError(Exception):
    pass


def test_a_database_that_does_not_answer_is_a_503_with_retry_after(app: FastAPI) -> None:
    @app.get("/test/database-down")
    def database_down() -> None:
        raise OperationalError("SELECT 1", {}, _DriverError("connection refused"))

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/test/database-down")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["code"] == "database_unavailable"


def test_a_database_error_that_is_no_outage_stays_an_unexpected_500(app: FastAPI) -> None:
    @app.get("/test/database-refuses")
    def database_refuses() -> None:
        raise IntegrityError("INSERT", {}, _DriverError("duplicate key"))

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/test/database-refuses")

    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
