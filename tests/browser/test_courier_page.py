"""The courier page in a real headless Chromium on a phone-sized screen: the vehicle check, the
departure gate, stop events online and offline (queued, kept over a reload, sent once), and
position sharing from the browser's geolocation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from api.app import create_app
from api.auth import TOKEN_COOKIE, issue_token
from infra.models import PositionPing, Role, RouteStatus, StopEvent, StopEventKind, User
from tests.browser.test_dispatcher_page import CHROMIUM, CHROMIUM_ARGS, _free_port
from tests.conftest import ZONE, CommittedDatabase
from tests.factories import (
    PASSWORD,
    make_courier,
    make_depot,
    make_order,
    make_published_route,
    make_shift,
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

PHONE = {"width": 360, "height": 740}
# What JavaScript's encodeURIComponent leaves as it is.
URI_SAFE = "-_.!~*'()"
# Long enough, without spaces, to push a careless layout wider than the phone.
LONG_ADDRESS = "Friedrichshain-Kreuzberg-Verbindungsstraßenabschnittsverwaltung 142, Hinterhaus"


@dataclass(frozen=True)
class CourierSetup:
    username: str
    user_id: int
    courier_id: int
    route_id: int
    stop_ids: list[int]


def today() -> date:
    # The server runs on the real clock: the route must be for its operating day.
    return datetime.now(ZONE).date()


def make_todays_route(db: CommittedDatabase, *, departed: bool = False) -> CourierSetup:
    with db.sessions() as session, session.begin():
        user = make_user(session, role=Role.COURIER)
        courier = make_courier(session, user=user)
        depot = make_depot(session, lat=52.50, lng=13.40)
        vehicle = make_vehicle(session, depot_id=depot.id)
        make_shift(session, courier, day=today(), vehicle=vehicle)
        orders = [
            make_order(
                session,
                day=today(),
                address=address,
                lat=52.50 + 0.01 * (k + 1),
                lng=13.40,
                notes="Ring twice" if k == 0 else None,
            )
            for k, address in enumerate([LONG_ADDRESS, "Warschauer Str. 9"])
        ]
        route = make_published_route(
            session, vehicle=vehicle, courier=courier, orders=orders, day=today()
        )
        if departed:
            route.status = RouteStatus.DEPARTED
            route.departed_at = datetime.now(UTC)
        session.flush()
        return CourierSetup(
            user.username, user.id, courier.id, route.id, [s.id for s in route.stops]
        )


class LiveServer:
    """The app served by uvicorn in a thread; stopped and started again on the same port, so
    that the page keeps its origin (its storage and service worker) while the server is gone."""

    def __init__(self, db: CommittedDatabase) -> None:
        self.app = create_app(db.settings)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._instance: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._instance = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._instance.run, daemon=True)
        self._thread.start()
        eventually(lambda: self._instance is not None and self._instance.started, timeout_s=30)

    def stop(self) -> None:
        assert self._instance is not None
        assert self._thread is not None
        self._instance.should_exit = True
        self._thread.join(10)


@pytest.fixture
def live_server(committed_db: CommittedDatabase) -> Iterator[LiveServer]:
    server = LiveServer(committed_db)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(committed_db: CommittedDatabase) -> Iterator[str]:
    live = LiveServer(committed_db)
    live.start()
    yield live.url
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def events_at(db: CommittedDatabase, stop_id: int) -> list[StopEventKind]:
    with db.sessions() as session:
        query = select(StopEvent.kind).where(StopEvent.stop_id == stop_id).order_by(StopEvent.id)
        return list(session.scalars(query))


def eventually(check: Callable[[], bool], timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def assert_no_horizontal_scroll(page: Any) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths


def test_a_courier_inspects_departs_and_reports_stops_online_and_offline(
    live_server, browser, committed_db
):
    from playwright.sync_api import expect

    server = live_server.url
    setup = make_todays_route(committed_db)
    first, second = setup.stop_ids
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(f"{server}/courier")
        expect(page).to_have_url(f"{server}/login")
        page.fill("#username", setup.username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{server}/courier")
        expect(page.locator("#stops > li")).to_have_count(2)
        expect(page.locator("#stops > li").first).to_contain_text(LONG_ADDRESS)
        expect(page.locator("#stops > li").first).to_contain_text("Ring twice")
        expect(page.locator(f"#stops > li[data-visit-id='{first}'] .maps-app")).to_have_attribute(
            "href", f"geo:52.51,13.4?q=52.51,13.4({quote(LONG_ADDRESS, safe=URI_SAFE)})"
        )
        assert_no_horizontal_scroll(page)

        # The gate refuses before the check, and the page says why.
        page.click("#depart-button")
        expect(page.locator("#depart-refusal")).to_contain_text("has no passed inspection")
        expect(page.locator("#queued-count")).to_have_text("0")

        page.fill("#odometer", "48211")
        for fieldset in page.locator("#checklist fieldset").all():
            fieldset.get_by_label("Pass").check()
        page.get_by_role("button", name="Submit the check").click()
        expect(page.locator("#inspection-summary")).to_contain_text("Passed at")
        page.click("#depart-button")
        expect(page.locator("#depart-status")).to_contain_text("Departed at")
        expect(page.locator("#depart-refusal")).to_be_hidden()
        expect(page.locator("#depart-button")).to_be_hidden()
        expect(page.locator("#inspection")).to_be_hidden()

        stop = page.locator(f"#stops > li[data-visit-id='{first}']")
        stop.get_by_role("button", name="Arrived at stop 1").click()
        stop.get_by_role("button", name="Delivered… at stop 1").click()
        assert_no_horizontal_scroll(page)
        stop.get_by_label("Recipient name").fill("Ada Lovelace")
        stop.get_by_label("Signature reference (optional)").fill("sig-0042")
        stop.get_by_role("button", name="Confirm delivery").click()
        expect(stop.locator(".badge.state")).to_have_text("delivered")
        expect(page.locator("#queued-count")).to_have_text("0")
        eventually(lambda: len(events_at(committed_db, first)) == 2)
        assert events_at(committed_db, first) == [StopEventKind.ARRIVED, StopEventKind.DELIVERED]

        # Offline: both taps wait in the queue, shown as done, nothing reaches the server.
        # The server goes away too: the browser's offline switch does not cover requests a
        # service worker is involved in, and it lapses while a page reloads or closes.
        page.wait_for_function("document.body.dataset.offlineReady === 'true'")
        live_server.stop()
        context.set_offline(True)
        expect(page.locator("#net-status")).to_have_text("Offline")
        stop = page.locator(f"#stops > li[data-visit-id='{second}']")
        stop.get_by_role("button", name="Arrived at stop 2").click()
        stop.get_by_role("button", name="Failed… at stop 2").click()
        stop.get_by_label("Reason").select_option("not_at_home")
        stop.get_by_role("button", name="Confirm failed attempt").click()
        expect(page.locator("#queued-count")).to_have_text("2")
        expect(stop.locator(".badge.state")).to_have_text("failed")
        assert events_at(committed_db, second) == []

        # A reload without network keeps the queue and what it shows.
        page.reload()
        expect(page.locator("#queued-count")).to_have_text("2")
        stop = page.locator(f"#stops > li[data-visit-id='{second}']")
        expect(stop.locator(".badge.state")).to_have_text("failed")
        expect(stop.locator(".badge.waiting")).to_have_text("2 waiting to send")
        assert events_at(committed_db, second) == []
        assert_no_horizontal_scroll(page)

        live_server.start()
        context.set_offline(False)
        expect(page.locator("#queued-count")).to_have_text("0")
        expect(page.locator("#net-status")).to_have_text("Online")
        eventually(lambda: len(events_at(committed_db, second)) >= 2)
        time.sleep(1)  # a second copy, if any, would have arrived by now
        assert events_at(committed_db, second) == [StopEventKind.ARRIVED, StopEventKind.FAILED]
        assert events_at(committed_db, first) == [StopEventKind.ARRIVED, StopEventKind.DELIVERED]
        expect(page.locator("#depart-status")).to_contain_text("Route done at")
        expect(page.locator("#errors li")).to_have_count(0)
    finally:
        context.close()


def test_the_page_shares_the_couriers_position_while_the_route_is_under_way(
    server, browser, committed_db
):
    from playwright.sync_api import expect

    setup = make_todays_route(committed_db, departed=True)
    with committed_db.sessions() as session:
        user = session.get_one(User, setup.user_id)
        token, _ = issue_token(committed_db.settings, user, now=datetime.now(UTC))
    start = {"latitude": 52.5000, "longitude": 13.4000, "accuracy": 8}
    context = browser.new_context(
        viewport=PHONE, geolocation=start, permissions=["geolocation"], is_mobile=True
    )
    context.add_cookies([{"name": TOKEN_COOKIE, "value": token, "url": server}])
    try:
        page = context.new_page()
        page.goto(f"{server}/courier")
        expect(page.locator("#depart-status")).to_contain_text("Departed at")
        expect(page.locator("#stops .eta").first).to_be_visible()
        assert_no_horizontal_scroll(page)
        # About 11 m north every half second: a plausible drive through town.
        for k in range(1, 12):
            context.set_geolocation(
                {"latitude": 52.5000 + 0.0001 * k, "longitude": 13.4000, "accuracy": 8}
            )
            time.sleep(0.5)

        def stored() -> int:
            with committed_db.sessions() as session:
                count = select(func.count()).where(PositionPing.courier_id == setup.courier_id)
                return session.scalar(count) or 0

        eventually(lambda: stored() >= 10, timeout_s=30)
        with committed_db.sessions() as session:
            pings = list(
                session.scalars(
                    select(PositionPing)
                    .where(PositionPing.courier_id == setup.courier_id)
                    .order_by(PositionPing.device_at)
                )
            )
        lats = [round(p.lat, 4) for p in pings]
        assert lats == sorted(lats)
        assert lats[-1] >= 52.5009
        assert all(p.lng == pytest.approx(13.4) for p in pings)
        assert all(p.accuracy_m == pytest.approx(8) for p in pings)
        expect(page.locator("#geo-status")).to_contain_text("Position shared at")
    finally:
        context.close()


def test_a_server_error_is_retried_and_a_refusal_is_shown_and_dropped(
    server, browser, committed_db
):
    from playwright.sync_api import expect

    setup = make_todays_route(committed_db, departed=True)
    first, second = setup.stop_ids
    with committed_db.sessions() as session:
        user = session.get_one(User, setup.user_id)
        token, _ = issue_token(committed_db.settings, user, now=datetime.now(UTC))
    # Page routing sees only requests that no service worker answers.
    context = browser.new_context(viewport=PHONE, service_workers="block")
    context.add_cookies([{"name": TOKEN_COOKIE, "value": token, "url": server}])
    attempts: list[str] = []

    def fail_once(route: Any) -> None:
        attempts.append(route.request.post_data_json["client_event_id"])
        if len(attempts) == 1:
            route.fulfill(
                status=503,
                content_type="application/problem+json",
                json={"code": "unavailable", "title": "Try again", "status": 503, "detail": "x"},
            )
        else:
            route.continue_()

    try:
        page = context.new_page()
        page.route(f"**/courier/me/stops/{first}/events", fail_once)
        page.goto(f"{server}/courier")
        stop = page.locator(f"#stops > li[data-visit-id='{first}']")
        stop.get_by_role("button", name="Arrived at stop 1").click()
        expect(page.locator("#queued-count")).to_have_text("0", timeout=10_000)
        assert len(attempts) == 2
        assert attempts[0] == attempts[1]  # the same event, under the same id
        assert events_at(committed_db, first) == [StopEventKind.ARRIVED]

        # Stop 2 is reported failed from elsewhere (another device) while this page, not
        # refreshing, still shows it pending: arriving there is refused.
        page.route("**/courier/me/day", lambda route: route.abort())
        for body in (
            {"kind": "arrived", "client_event_id": "elsewhere-1"},
            {"kind": "failed", "client_event_id": "elsewhere-2", "failure_reason": "no_access"},
        ):
            sent = httpx.post(
                f"{server}/courier/me/stops/{second}/events",
                json=body | {"occurred_at": datetime.now(UTC).isoformat()},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert sent.status_code == 201, sent.text
        stop = page.locator(f"#stops > li[data-visit-id='{second}']")
        stop.get_by_role("button", name="Arrived at stop 2").click()
        refusal = (
            f"Stop 2, arrived: stop {second} is failed; 'arrived' is not allowed for a delivery "
            "order now"
        )
        expect(page.locator("#errors li")).to_contain_text(refusal)
        expect(page.locator("#queued-count")).to_have_text("0")
        assert events_at(committed_db, second) == [StopEventKind.ARRIVED, StopEventKind.FAILED]

        page.unroute("**/courier/me/day")
        page.reload()
        stop = page.locator(f"#stops > li[data-visit-id='{second}']")
        expect(stop.locator(".badge.state")).to_have_text("failed")
        expect(stop.get_by_role("button")).to_have_count(0)
        expect(page.locator("#errors li")).to_contain_text(refusal)
        page.get_by_role("button", name="Dismiss this message").click()
        expect(page.locator("#errors li")).to_have_count(0)
    finally:
        context.close()
