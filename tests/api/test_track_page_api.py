from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from infra.settings import Settings
from tests.factories import auth_headers
from tests.tracking.routes import START, RouteSetup, make_tracked_route
from tracking import public_etas
from tracking.notifications import SHOP_COPY_INFO_KEY


def report(client: TestClient, settings: Settings, setup: RouteSetup, k: int, kind: str) -> None:
    stop_id = setup.stops[k].id
    body: dict[str, Any] = {
        "client_event_id": f"{kind}-{stop_id}",
        "kind": kind,
        "occurred_at": (START + timedelta(minutes=10 * (k + 1))).isoformat(),
    }
    if kind == "delivered":
        body |= {"recipient_name": "Ada Byron Lovelace", "signature_ref": "sig-1"}
    response = client.post(
        f"/courier/me/stops/{stop_id}/events", json=body, headers=auth_headers(settings, setup.user)
    )
    assert response.status_code == 201, response.json()


def ping_near(client: TestClient, settings: Settings, setup: RouteSetup, minutes: int) -> None:
    at = START + timedelta(minutes=minutes)
    response = client.post(
        "/courier/me/pings",
        json={"pings": [{"device_at": at.isoformat(), "lat": 52.514567, "lng": 13.401234}]},
        headers=auth_headers(settings, setup.user),
    )
    assert response.json()["accepted"] == [0]


def track(client: TestClient, code: str) -> Any:
    return client.get(f"/track/{code}")


def setup_route(session: Session) -> RouteSetup:
    return make_tracked_route(session)


def test_the_page_shows_status_timeline_and_an_eta_window_within_the_promise(
    client, session, clock
):
    clock.now = START + timedelta(minutes=1)
    setup = setup_route(session)

    response = track(client, setup.orders[1].tracking_code)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "out_for_delivery"
    assert [m["kind"] for m in body["timeline"]] == ["received", "planned", "out_for_delivery"]
    assert body["promised_from"] <= body["eta_from"] <= body["eta_until"] <= body["promised_until"]
    assert "recipient_name" not in str(body)


def test_the_courier_position_shows_only_while_heading_for_this_stop(
    client, session, settings, clock
):
    clock.now = START + timedelta(minutes=12)
    setup = setup_route(session)
    second = setup.orders[1].tracking_code
    report(client, settings, setup, 0, "arrived")
    ping_near(client, settings, setup, 11)

    before = track(client, second).json()  # the courier is still at the first stop
    report(client, settings, setup, 0, "delivered")
    clock.now = START + timedelta(minutes=22)
    ping_near(client, settings, setup, 21)
    en_route = track(client, second).json()
    not_mine = track(client, setup.orders[2].tracking_code).json()
    report(client, settings, setup, 1, "arrived")
    after = track(client, second).json()

    assert before["courier_position"] is None
    assert en_route["courier_position"]["lat"] == 52.515
    assert en_route["courier_position"]["lng"] == 13.401
    assert not_mine["courier_position"] is None
    assert after["courier_position"] is None


def test_the_proof_shows_the_first_name_only_and_feedback_is_taken_once(
    client, session, settings, clock
):
    clock.now = START + timedelta(minutes=30)
    setup = setup_route(session)
    code = setup.orders[0].tracking_code
    early = client.post(f"/track/{code}/feedback", json={"rating": 5})
    report(client, settings, setup, 0, "arrived")
    report(client, settings, setup, 0, "delivered")

    page = track(client, code).json()
    first = client.post(f"/track/{code}/feedback", json={"rating": 4, "comment": "Quick!"})
    second = client.post(f"/track/{code}/feedback", json={"rating": 1})

    assert early.status_code == 409
    assert early.json()["code"] == "feedback_not_open"
    assert page["proof"]["recipient_first_name"] == "Ada"
    assert "Lovelace" not in str(page)
    assert page["feedback_open"] is True
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["code"] == "feedback_already_given"
    assert track(client, code).json()["feedback_rating"] == 4


def test_unknown_and_malformed_codes_answer_exactly_alike(client, session):
    setup = setup_route(session)
    real = setup.orders[0].tracking_code

    answers = [track(client, code) for code in ("nope", real + "x", "x" * 200, "%20")]

    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1
    assert real not in answers[1].text


def test_repeated_misses_from_one_client_are_rate_limited(client, session, settings):
    setup = setup_route(session)
    allowed = settings.tracking.code_misses_allowed

    misses = [track(client, f"guess{k}") for k in range(allowed)]
    blocked = track(client, "guess-more")
    even_a_hit = track(client, setup.orders[0].tracking_code)

    assert {m.status_code for m in misses} == {404}
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert even_a_hit.status_code == 429


def test_the_html_page_renders_for_browsers_and_unknown_codes_get_the_same_page(
    client, session, clock
):
    clock.now = START + timedelta(minutes=1)
    setup = setup_route(session)
    html = {"Accept": "text/html"}

    page = client.get(f"/track/{setup.orders[0].tracking_code}", headers=html)
    missing_a = client.get("/track/unknown-1", headers=html)
    missing_b = client.get("/track/unknown-2", headers=html)

    assert page.status_code == 200
    assert "Expected between" in page.text
    assert missing_a.status_code == 404
    assert missing_a.text == missing_b.text


def test_bad_feedback_is_422(client, session):
    setup = setup_route(session)
    code = setup.orders[0].tracking_code

    assert client.post(f"/track/{code}/feedback", json={"rating": 6}).status_code == 422
    assert client.post(f"/track/{code}/feedback", json={"rating": "x"}).status_code == 422


def test_the_apps_sessions_carry_every_shared_cache_and_setting(app: FastAPI):
    # Each is put in the sessions' info by its own module: none may drop another's.
    with app.state.session_factory() as session:
        assert SHOP_COPY_INFO_KEY in session.info
        cache = public_etas.cache_of(session)
        assert cache is not None
        assert cache.slice_s == app.state.settings.tracking.eta_refresh_s


def test_with_etas_refreshed_on_every_ping_the_page_keeps_no_projection(settings: Settings):
    tracking = settings.tracking.model_copy(update={"eta_refresh_s": 0})
    app = create_app(settings.model_copy(update={"tracking": tracking}))
    with app.state.session_factory() as session:
        assert public_etas.cache_of(session) is None
