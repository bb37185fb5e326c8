"""The demo brought up as a user would; its dispatcher page checked in a real headless Chromium."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`sameday demo` in a subprocess: seeded, planned and serving on a free port."""
    directory = tmp_path_factory.mktemp("demo")
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SAMEDAY_")} | {
        # No background tiles: the page must work without internet.
        "SAMEDAY_MAP_TILE_URL": "",
        "SAMEDAY_PLANNING_SOLVER_TIME_LIMIT_S": "2",
    }
    log = (directory / "demo.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.demo_entry",
            "--database-url",
            f"sqlite:///{directory / 'demo.sqlite3'}",
            "--port",
            str(port),
            "--time-limit",
            "3",
        ],
        cwd=directory,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, (directory / "demo.log").read_text()
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (directory / "demo.log").read_text()
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_the_dispatcher_sees_the_planned_demo_day_on_a_map(demo_server):
    from playwright.sync_api import expect, sync_playwright

    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.on("request", lambda request: requested.append(request.url))

            page.goto(f"{demo_server}/dispatch")
            expect(page).to_have_url(re.compile(r"/login$"))
            page.fill("#username", "dispatcher")
            page.fill("#password", "demo-dispatcher")
            page.click("button[type=submit]")

            expect(page).to_have_url(re.compile(r"/dispatch$"))
            expect(page.locator("#plan-summary")).to_be_visible()
            planned = int(page.locator("#orders-planned").inner_text())
            assert planned >= 250
            cookie = next(c for c in context.cookies() if c["name"] == "sameday_token")
            assert cookie["httpOnly"] is True
            assert cookie["sameSite"] == "Strict"
            assert "sameday_token" not in page.evaluate("document.cookie")

            frame = page.frame_locator("#plan-map")
            expect(frame.locator(".sd-depot")).to_have_count(2, timeout=30_000)
            expect(frame.locator(".sd-stop:not(.sd-unserved)")).to_have_count(planned)
            assert frame.locator("path.leaflet-interactive").count() >= 5
            map_frame = next(f for f in page.frames if f.url.endswith("/map"))
            assert map_frame.evaluate("typeof L !== 'undefined' && L.version.length > 0")
            # Stops overlap in the dense centre: click the first one programmatically.
            frame.locator(".sd-stop").first.dispatch_event("click")
            expect(frame.locator(".leaflet-popup-content")).to_contain_text("arrives")
            expect(page.locator("#unserved li").first).to_be_visible()
            expect(page.locator("#unserved")).to_contain_text("order_held")
            expect(page.locator("#holds li")).to_have_count(2)
            expect(page.locator("#holds")).to_contain_text("temperature_excursion")
            expect(page.locator("#holds")).to_contain_text("4 orders held")
            broken = page.locator("#vehicles li.out-of-service")
            expect(broken).to_have_count(1)
            expect(broken).to_contain_text("inspection: critical failure")

            page.click("#plan-day")
            expect(page.locator("#plan-progress")).to_be_visible()
            expect(page).to_have_url(re.compile(r"plan_id=2"), timeout=90_000)
            expect(page.locator("#plan-summary h2")).to_contain_text("Plan 2")
        finally:
            browser.close()

    outside = [url for url in requested if not url.startswith(demo_server)]
    assert outside == []
