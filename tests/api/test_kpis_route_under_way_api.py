"""KPIs of a day whose only route is under way, with no stop event yet (was a 500)."""

from __future__ import annotations

from infra.models import Role
from tests.factories import DAY, auth_headers, make_user
from tests.tracking.routes import make_tracked_route


def test_kpis_of_a_route_departed_without_stop_events_answer(client, session, settings):
    make_tracked_route(session, stops=2)
    headers = auth_headers(settings, make_user(session, role=Role.DISPATCHER))

    response = client.get("/kpis", params={"from": DAY.isoformat()}, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["totals"]["routes"] == 1
