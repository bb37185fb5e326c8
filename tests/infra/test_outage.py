"""An outage is logged once when it starts and once when it ends."""

from __future__ import annotations

import logging

import pytest

from infra.outage import OutageLog


def test_an_outage_is_logged_once_however_many_calls_fail_and_once_when_it_ends(
    caplog: pytest.LogCaptureFixture,
):
    outage = OutageLog(logging.getLogger("tests.outage"), down="down (%s)", back="back")
    caplog.set_level(logging.INFO, logger="tests.outage")

    outage.succeeded()  # nothing was down
    for attempt in range(3):
        outage.failed(ConnectionError(f"refused {attempt}"))
    outage.succeeded()
    outage.succeeded()
    outage.failed(ConnectionError("refused again"))

    assert [r.getMessage() for r in caplog.records] == [
        "down (refused 0)",
        "back",
        "down (refused again)",
    ]
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO", "WARNING"]
