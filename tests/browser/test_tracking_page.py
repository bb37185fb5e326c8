"""The customer's tracking page in a real headless Chromium: delivered order, feedback once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from api.app import create_app
from infra.models import FailureReason, Order, OrderStatus, StopEvent, StopEventKind
from tests.browser.test_dispatcher_page import CHROMIUM, CHROMIUM_ARGS, _free_port
from tests.conftest import CommittedDatabase
from tests.tracking.routes import START, make_tracked_route

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


@pytest.fixture(scope="module")
def delivered_code(committed_db: CommittedDatabase) -> str:
    with committed_db.sessions() as session, session.begin():
        setup = make_tracked_route(session, stops=1)
        order = setup.orders[0]
        for kind, minutes in ((StopEventKind.ARRIVED, 10), (StopEventKind.DELIVERED, 15)):
            session.add(
                StopEvent(
                    stop_id=setup.stops[0].id,
                    route_id=setup.route.id,
                    order_id=order.id,
                    courier_id=setup.courier.id,
                    client_event_id=f"{kind.value}-1",
                    kind=kind,
                    occurred_at=START + timedelta(minutes=minutes),
                    recipient_name="Ada Lovelace" if kind is StopEventKind.DELIVERED else None,
                )
            )
        order.status = OrderStatus.DELIVERED
        return order.tracking_code


@pytest.fixture(scope="module")
def app(committed_db: CommittedDatabase) -> FastAPI:
    return create_app(committed_db.settings)


@pytest.fixture(autouse=True)
def fresh_miss_limiter(app: FastAPI) -> None:
    # Each test starts with a clean slate of unknown codes (the limiter is made on first use).
    app.state.tracking_miss_limiter = None


@pytest.fixture(scope="module")
def server(app: FastAPI) -> Iterator[str]:
    port = _free_port()
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(10)


def test_a_customer_sees_the_delivery_and_leaves_feedback_once(
    server, delivered_code, committed_db
):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"{server}/track/{delivered_code}")
            expect(page.locator("#status")).to_have_text("Delivered")
            expect(page.locator("#proof")).to_contain_text("Ada")
            expect(page.locator("#proof")).not_to_contain_text("Lovelace")
            page.check("input[name=rating][value='5']")
            page.fill("textarea[name=comment]", "Friendly and on time")
            page.click("#feedback-form button[type=submit]")
            expect(page.locator("#feedback-thanks")).to_be_visible()

            page.reload()
            expect(page.locator("#feedback-given")).to_contain_text("5/5")
            page.goto(f"{server}/track/no-such-code")
            expect(page.locator("#not-found")).to_be_visible()
        finally:
            browser.close()
    with committed_db.sessions() as session:
        order = session.scalars(select(Order).where(Order.tracking_code == delivered_code)).one()
        assert order.status is OrderStatus.DELIVERED


@pytest.fixture(scope="module")
def failed_code(committed_db: CommittedDatabase) -> str:
    with committed_db.sessions() as session, session.begin():
        setup = make_tracked_route(session, stops=1)
        order = setup.orders[0]
        session.add(
            StopEvent(
                stop_id=setup.stops[0].id,
                route_id=setup.route.id,
                order_id=order.id,
                courier_id=setup.courier.id,
                client_event_id="failed-1",
                kind=StopEventKind.FAILED,
                occurred_at=START + timedelta(minutes=12),
                failure_reason=FailureReason.NOT_AT_HOME,
            )
        )
        order.status = OrderStatus.FAILED
        return order.tracking_code


def test_after_a_failed_attempt_the_customer_books_a_new_window(server, failed_code, committed_db):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"{server}/track/{failed_code}")
            expect(page.locator("#status")).to_have_text("Failed")
            options = page.locator("#redelivery input[name=choice][value^='window:']")
            expect(options.first).to_be_visible()
            options.first.check()
            page.click("#redelivery-form button[type=submit]")
            expect(page.locator("#redelivery-done")).to_contain_text("Booked")

            page.reload()
            expect(page.locator("#status")).to_have_text("Plannable")
            expect(page.locator("#redelivery")).to_have_count(0)
            expect(page.locator("#promised")).to_be_visible()
        finally:
            browser.close()
    with committed_db.sessions() as session:
        order = session.scalars(select(Order).where(Order.tracking_code == failed_code)).one()
        assert order.status is OrderStatus.PLANNABLE
        assert len(order.windows) == 1


def test_a_device_guessing_codes_is_told_to_wait_even_for_a_real_code(
    server, delivered_code, committed_db
):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            for k in range(committed_db.settings.tracking.code_misses_allowed):
                page.goto(f"{server}/track/guess-{k}")
                expect(page.locator("#not-found")).to_be_visible()
            response = page.goto(f"{server}/track/{delivered_code}")
            assert response is not None
            assert response.status == 429
            expect(page.locator("#too-many")).to_contain_text("try again in 10 minutes")
            expect(page.locator("#status")).to_have_count(0)
        finally:
            browser.close()
