"""The real per-request transaction: committed on success, nothing written on failure."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.deps import get_now
from infra.migrate import upgrade
from infra.models import Order, Role
from tests.conftest import DEFAULT_NOW, make_settings
from tests.factories import CSV_HEADER, auth_headers, csv_row, make_user, order_payload


def test_a_request_commits_on_success_and_writes_nothing_on_failure(fresh_database_url):
    settings = make_settings(fresh_database_url())
    upgrade(settings)
    app = create_app(settings)
    app.dependency_overrides[get_now] = lambda: DEFAULT_NOW
    factory = app.state.session_factory
    with factory() as session, session.begin():
        headers = auth_headers(settings, make_user(session, role=Role.DISPATCHER))

    def committed_orders() -> int:
        with factory() as session:
            return session.scalar(select(func.count()).select_from(Order)) or 0

    with TestClient(app) as client:
        taken = client.post("/orders", json=order_payload(), headers=headers)
        assert taken.status_code == 201
        assert committed_orders() == 1

        bad_file = CSV_HEADER + csv_row("OK") + csv_row("BAD", weight_kg="-1")
        refused = client.post(
            "/orders/bulk", files={"file": ("o.csv", bad_file.encode())}, headers=headers
        )
        assert refused.status_code == 422
        assert committed_orders() == 1
