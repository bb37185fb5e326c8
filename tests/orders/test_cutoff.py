"""The same-day cut-off rule, on its own."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from orders.cutoff import Deferral, service_day_for

BERLIN = ZoneInfo("Europe/Berlin")
MON_TO_SAT = {1, 2, 3, 4, 5, 6}


def day_for(local: datetime):
    return service_day_for(local, cutoff=time(18), zone=BERLIN, operating_weekdays=MON_TO_SAT)


@pytest.mark.parametrize(
    ("received", "expected", "deferral"),
    [
        (datetime(2025, 3, 4, 0, 0), date(2025, 3, 4), None),
        (datetime(2025, 3, 4, 17, 59, 59), date(2025, 3, 4), None),
        (datetime(2025, 3, 4, 18, 0), date(2025, 3, 5), Deferral.AFTER_CUTOFF),
        (datetime(2025, 3, 4, 23, 59), date(2025, 3, 5), Deferral.AFTER_CUTOFF),
        (datetime(2025, 3, 8, 18, 30), date(2025, 3, 10), Deferral.AFTER_CUTOFF),
        (datetime(2025, 3, 9, 10, 0), date(2025, 3, 10), Deferral.CLOSED_DAY),
    ],
)
def test_orders_before_the_cutoff_are_for_today_and_later_ones_for_the_next_operating_day(
    received, expected, deferral
):
    day = day_for(received.replace(tzinfo=BERLIN))

    assert day.service_date == expected
    assert day.deferral == deferral


def test_the_local_day_decides_not_the_utc_day():
    # 23:30 UTC on the 4th is already 00:30 on the 5th in Berlin: a new day, before its cut-off.
    day = day_for(datetime.fromisoformat("2025-03-04T23:30:00+00:00"))

    assert day.service_date == date(2025, 3, 5)
    assert day.deferral is None


def test_the_cutoff_follows_daylight_saving_time():
    # In summer Berlin is UTC+2: 16:30 UTC is 18:30 local, past the cut-off.
    day = day_for(datetime.fromisoformat("2025-07-01T16:30:00+00:00"))

    assert day.service_date == date(2025, 7, 2)
    assert day.cutoff_at == datetime(2025, 7, 1, 18, 0, tzinfo=BERLIN)


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        day_for(datetime(2025, 3, 4, 9, 0))
