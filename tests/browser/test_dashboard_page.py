"""The KPI dashboard of the small hand-made day, in a real headless Chromium: tiles, charts and
the day's map, all served by the app (nothing from the internet)."""

from __future__ import annotations

import re

import pytest

from infra.models import Role
from reports import charts
from tests.browser.test_dispatcher_page import CHROMIUM, CHROMIUM_ARGS

# The live page's app server, on this module's database.
from tests.browser.test_live_dispatch_page import server  # noqa: F401
from tests.factories import DAY, PASSWORD, make_user
from tests.reports.small_day import build_small_day

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


def test_the_dispatcher_reads_the_days_kpis_charts_and_map(server, committed_db):  # noqa: F811
    base, _app = server
    from playwright.sync_api import expect, sync_playwright

    with committed_db.sessions() as session, session.begin():
        dispatcher = make_user(session, role=Role.DISPATCHER).username
        build_small_day(session)
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{base}/login")
            page.fill("#username", dispatcher)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(re.compile(r"/dispatch$"))
            expect(page.locator("#kpi-link")).to_be_visible()

            page.goto(f"{base}/dashboard?from={DAY}&to={DAY}&by=courier")

            expect(page.locator("#tile-on-time .value")).to_have_text("20 %")
            expect(page.locator("#tile-deliveries .value")).to_have_text("3")
            expect(page.locator("#tile-complaints .value")).to_have_text("4 · 1333.3")
            expect(page.locator("#tile-compensation .value")).to_have_text("5.00 · 150")
            expect(page.locator("#charts .chart svg")).to_have_count(len(charts.CHARTS))
            trend = page.locator('[data-chart="failed_by_reason"]')
            expect(trend).to_contain_text("not_at_home")
            expect(page.locator("#groups tr")).to_have_count(3)
            frame = page.frame_locator("#plan-map")
            expect(frame.locator(".sd-stop:not(.sd-unserved)")).to_have_count(5, timeout=30_000)
            expect(frame.locator(".sd-unserved")).to_have_count(1)
            assert page.locator('a[href^="/kpis.xlsx"]').count() == 1
        finally:
            browser.close()

    outside = [url for url in requested if not url.startswith(base)]
    assert outside == []
