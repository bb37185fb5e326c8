"""The dispatcher page live, in a real headless Chromium: couriers move on the map as their
pings arrive, late stops and proposed replans are listed, a reload shows each once."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.auth import issue_token
from infra import live_events
from infra.models import (
    OrderStatus,
    OrderWindow,
    PlanStatus,
    Role,
    RouteStatus,
    Stop,
)
from tests.browser.test_dispatcher_page import CHROMIUM, CHROMIUM_ARGS, _free_port
from tests.conftest import ZONE, CommittedDatabase
from tests.factories import (
    PASSWORD,
    make_courier,
    make_depot,
    make_order,
    make_route,
    make_user,
    make_vehicle,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]

DEPOT = (52.50, 13.40)


@dataclass(frozen=True)
class RoadSetup:
    dispatcher: str
    courier_id: int
    courier_token: str
    route_id: int
    stop_ids: list[int]
    order_ids: list[int]
    late_order_id: int


def make_road(db: CommittedDatabase) -> RoadSetup:
    """Today's published plan with one route under way: two stops near the depot, and a third
    some 45 km away whose window closes in a quarter of an hour, so it cannot be made."""
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    with db.sessions() as session, session.begin():
        dispatcher = make_user(session, role=Role.DISPATCHER)
        courier_user = make_user(session, role=Role.COURIER)
        courier = make_courier(session, user=courier_user, name="Mari Maasikas")
        depot = make_depot(session, lat=DEPOT[0], lng=DEPOT[1])
        vehicle = make_vehicle(session, depot_id=depot.id, code="VAN-7")
        spots = [(52.51, now + timedelta(hours=3)), (52.52, now + timedelta(hours=3))]
        spots.append((52.90, now + timedelta(minutes=15)))
        orders = [
            make_order(
                session,
                day=today,
                window=None,
                lat=lat,
                lng=DEPOT[1],
                status=OrderStatus.OUT_FOR_DELIVERY,
                windows=[OrderWindow(starts_at=now - timedelta(hours=1), ends_at=ends_at)],
            )
            for lat, ends_at in spots
        ]
        route = make_route(session, vehicle=vehicle, courier=courier, day=today)
        route.plan.status = PlanStatus.PUBLISHED
        route.status = RouteStatus.DEPARTED
        route.departed_at = now - timedelta(minutes=5)
        for k, order in enumerate(orders, start=1):
            at = now + timedelta(minutes=10 * k)
            route.stops.append(
                Stop(
                    order_id=order.id,
                    sequence=k,
                    planned_arrival_at=at,
                    planned_service_start_at=at,
                    planned_departure_at=at + timedelta(minutes=3),
                    load_weight_g_after=0,
                    load_volume_cm3_after=0,
                    load_parcels_after=0,
                )
            )
        route.plan.orders_planned = len(orders)
        session.flush()
        token, _ = issue_token(db.settings, courier_user, now=now)
        return RoadSetup(
            dispatcher.username,
            courier.id,
            token,
            route.id,
            [s.id for s in route.stops],
            [o.id for o in orders],
            orders[2].id,
        )


@pytest.fixture(scope="module")
def server(committed_db: CommittedDatabase) -> Iterator[tuple[str, FastAPI]]:
    port = _free_port()
    app = create_app(committed_db.settings)
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", app
    instance.should_exit = True
    thread.join(10)


def send_ping(base: str, setup: RoadSetup, lat: float, *, ago_s: int) -> None:
    """A ping taken `ago_s` seconds ago (spaced so that the moves are plausible)."""
    at = datetime.now(UTC) - timedelta(seconds=ago_s)
    response = httpx.post(
        f"{base}/courier/me/pings",
        json={"pings": [{"device_at": at.isoformat(), "lat": lat, "lng": DEPOT[1]}]},
        headers={"Authorization": f"Bearer {setup.courier_token}"},
    )
    assert response.json()["accepted"] == [0], response.text


def report(base: str, setup: RoadSetup, k: int, kind: str) -> None:
    body: dict[str, Any] = {
        "client_event_id": f"{kind}-{setup.stop_ids[k]}",
        "kind": kind,
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    if kind == "delivered":
        body["recipient_name"] = "Ada"
    response = httpx.post(
        f"{base}/courier/me/stops/{setup.stop_ids[k]}/events",
        json=body,
        headers={"Authorization": f"Bearer {setup.courier_token}"},
    )
    assert response.status_code == 201, response.text


def marker_box(frame: Any, courier_id: int) -> dict[str, float]:
    box: dict[str, float] = frame.locator(
        f'.sd-courier[data-courier-id="{courier_id}"]'
    ).bounding_box()
    return box


def eventually(check: Any, timeout_s: float = 5) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.alone
def test_the_dispatcher_watches_couriers_move_and_stops_go_late_live(server, committed_db):
    from playwright.sync_api import expect, sync_playwright

    base, app = server
    setup = make_road(committed_db)
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{base}/login")
            page.fill("#username", setup.dispatcher)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(re.compile(r"/dispatch$"))
            expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
            frame = page.frame_locator("#plan-map")
            expect(frame.locator(".sd-stop")).to_have_count(3, timeout=30_000)
            expect(page.locator("#late-stops li")).to_have_count(0)

            # The courier reports from near the depot: a marker appears within a few seconds.
            started = time.monotonic()
            send_ping(base, setup, 52.503, ago_s=110)
            courier = frame.locator(f'.sd-courier[data-courier-id="{setup.courier_id}"]')
            expect(courier).to_be_visible(timeout=5_000)
            shown_after_s = time.monotonic() - started
            expect(courier).to_have_text("VAN-7")
            late = page.locator(f'#late-stops li[data-order-id="{setup.late_order_id}"]')
            expect(late).to_contain_text("ETA")
            expect(page.locator("#late-stops li")).to_have_count(1)
            expect(frame.locator(f'.sd-stop[data-order-id="{setup.late_order_id}"]')).to_have_class(
                re.compile(r"\bsd-late\b")
            )
            courier_row = page.locator(f'#live-couriers li[data-courier-id="{setup.courier_id}"]')
            expect(courier_row).to_contain_text("Mari Maasikas")

            # It moves north (up on the map) with the next ping.
            before = marker_box(frame, setup.courier_id)
            send_ping(base, setup, 52.521, ago_s=10)
            eventually(lambda: marker_box(frame, setup.courier_id)["y"] < before["y"] - 5)

            # A stop done turns its marker grey.
            report(base, setup, 0, "arrived")
            report(base, setup, 0, "delivered")
            first_stop = frame.locator(f'.sd-stop[data-order-id="{setup.order_ids[0]}"]')
            expect(first_stop).to_have_class(re.compile(r"\bsd-done\b"))

            # A replan proposed by the planner shows up with its accept button.
            today = datetime.now(UTC).astimezone(ZONE).date()
            propose(app, today, job_id=987_654)
            proposal = page.locator('#replans li[data-job-id="987654"]')
            expect(proposal).to_contain_text("2 stops move, 1 late stop avoided")
            expect(proposal.locator("button.accept-replan")).to_be_visible()

            # A reload (a new stream from where the page starts) lists everything once.
            page.reload()
            expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
            expect(page.locator("#late-stops li")).to_have_count(1)
            # The page lists proposals from their jobs; the one above had none behind it.
            expect(page.locator("#replans li")).to_have_count(0)
            expect(courier).to_have_count(1, timeout=30_000)
            expect(first_stop).to_have_class(re.compile(r"\bsd-done\b"))
            send_ping(base, setup, 52.522, ago_s=0)
            time.sleep(1.5)
            expect(courier).to_have_count(1)
            expect(page.locator("#late-stops li")).to_have_count(1)
            expect(page.locator("#live-couriers li[data-courier-id]")).to_have_count(1)
        finally:
            browser.close()

    assert shown_after_s < 5
    eventually(lambda: app.state.live_hub.open_streams == 0)
    assert [url for url in requested if not url.startswith(base)] == []


def propose(app: FastAPI, day: date, *, job_id: int) -> None:
    """A `replan_proposed` event as the replan job records it (through the app's sessions, so
    the commit wakes the streams as the job's would)."""
    with app.state.session_factory() as session, session.begin():
        live_events.record(
            session,
            "replan_proposed",
            {
                "job_id": job_id,
                "plan_id": 1,
                "base_plan_id": 1,
                "trigger": "late",
                "reason": "stops projected late",
                "summary": "2 stops move, 1 late stop avoided",
            },
            service_date=day,
        )
