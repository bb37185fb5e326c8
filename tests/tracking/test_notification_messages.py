"""Message texts, backoff and webhook signatures: pure functions, no database."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tracking import notifications
from tracking.delivery import webhook
from tracking.delivery.channels import Outcome, http_result
from tracking.delivery.messages import TemplateError, render
from tracking.delivery.sender import backoff_s

ZONE = ZoneInfo("Europe/Berlin")
BASE = {"tracking_code": "trk-abc", "reference": "SHOP-7", "service_date": "2025-03-04"}


def at(hour: int, minute: int = 0) -> str:
    # Berlin is UTC+1 in March.
    return datetime(2025, 3, 4, hour - 1, minute, tzinfo=UTC).isoformat()


def text_of(code: str, **payload: object) -> str:
    rendered = render(code, BASE | payload, zone=ZONE, public_url=None)
    return f"{rendered.subject}\n{rendered.text}"


def test_every_template_code_has_a_text():
    for code in notifications.TEMPLATE_CODES:
        payload = {
            "window": [at(14), at(16)],
            "old_window": [at(9), at(12)],
            "new_window": [at(14), at(16)],
        }
        assert "SHOP-7" in text_of(code, **payload), code


def test_the_published_plan_tells_the_window_in_local_time():
    told = text_of(notifications.PLAN_PUBLISHED, window=[at(14), at(16)])

    assert "Tuesday 4 March" in told
    assert "between 14:00 and 16:00" in told


def test_a_plan_without_a_window_tells_the_day_and_a_single_time_says_about():
    assert "at about" not in text_of(notifications.PLAN_PUBLISHED, window=None)
    assert "at about 17:15" in text_of(notifications.PLAN_PUBLISHED, window=[at(17, 15)] * 2)


def test_an_eta_change_says_before_and_after_for_windows_and_for_single_times():
    windows = text_of(
        notifications.ETA_CHANGED,
        old_window=[at(10), at(10, 30)],
        new_window=[at(11), at(11, 30)],
    )
    times = text_of(notifications.ETA_CHANGED, eta_before=at(10), eta_after=at(11, 20))

    assert "now between 11:00 and 11:30 (before: between 10:00 and 10:30)" in windows
    assert "now at about 11:20 (before: at about 10:00)" in times


def test_a_failed_attempt_names_the_reason_and_a_hold_keeps_warehouse_details_inside():
    failed = text_of(notifications.DELIVERY_FAILED, failure_reason="not_at_home")
    held = text_of(notifications.HELD, reason="batch LOT-9 of MILK-1L: temperature_excursion")

    assert "nobody was at home" in failed
    assert "new time" in failed
    assert "LOT-9" not in held
    assert "temperature" not in held


def test_the_tracking_link_is_added_when_the_public_url_is_known():
    rendered = render(
        notifications.DELIVERED, BASE, zone=ZONE, public_url="https://track.example.com/"
    )

    assert rendered.text.endswith("Follow your order: https://track.example.com/track/trk-abc")


def test_an_unknown_template_or_an_unusable_payload_is_a_template_error():
    with pytest.raises(TemplateError):
        render("no_such_template", BASE, zone=ZONE, public_url=None)
    with pytest.raises(TemplateError):
        render(notifications.PLAN_PUBLISHED, {"reference": "x"}, zone=ZONE, public_url=None)


def test_backoff_doubles_within_its_jitter_and_stops_at_the_cap():
    rng = random.Random(1)

    waits = [[backoff_s(n, base_s=10, max_s=60, rng=rng) for _ in range(50)] for n in (1, 2, 3, 9)]

    assert all(5 <= w <= 10 for w in waits[0])
    assert all(10 <= w <= 20 for w in waits[1])
    assert all(20 <= w <= 40 for w in waits[2])
    assert all(30 <= w <= 60 for w in waits[3])
    assert len(set(waits[0])) > 1  # jittered


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.SENT),
        (204, Outcome.SENT),
        (400, Outcome.PERMANENT),
        (404, Outcome.PERMANENT),
        (408, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
    ],
)
def test_http_answers_are_sent_permanent_or_worth_a_retry(status, outcome):
    assert http_result(status, "").outcome is outcome


def test_a_signature_covers_the_timestamp():
    body = b'{"delivery_id":1}'

    first = webhook.signature("secret", "1700000000", body)

    assert first != webhook.signature("secret", "1700000001", body)
    assert webhook.verify(
        "secret", timestamp="1700000000", body=body, signature_header=first, now_s=1700000100
    )
    assert not webhook.verify(
        "secret", timestamp="not a time", body=body, signature_header=first, now_s=1700000100
    )
