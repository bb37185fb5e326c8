"""Each KPI of a small hand-made day against the numbers worked out by hand (see small_day.py)."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest

from infra.models import Plan, PlanStatus, Route
from reports import kpis
from reports.frames import Period
from tests.factories import DAY, ZONE
from tests.reports.small_day import at, build_small_day

# 0.01 degrees of latitude on the sphere of routing.matrix, in whole metres per leg.
LEG_M = round(6_371_008.8 * math.radians(0.01))


@pytest.fixture
def report(session):
    build_small_day(session)
    return kpis.compute(session, Period(DAY, DAY, ZONE), kpis.By.DAY)


def test_each_kpi_of_the_small_day_matches_the_hand_computed_number(report):
    row = report.summary.loc[DAY.isoformat()]
    expected = {
        "deliveries": 3,
        "failed_attempts": 2,
        # o1 only, of three deliveries and two failed attempts.
        "on_time_rate": 0.2,
        "orders_attempted": 5,
        "first_attempt_rate": 0.6,
        # o2 30 min, o4 180 min: the average, and p90 by linear interpolation 30 + 0.9 * 150.
        "late_deliveries": 2,
        "lateness_avg_min": 105.0,
        "lateness_p90_min": 165.0,
        "unserved_orders": 1,
        "routes": 1,
        "planned_km": 42.0,
        "driven_km": round(2 * LEG_M / 1000, 2),
        "planned_h": 6.0,
        "driven_h": 5.0,
        # Five visits in five hours on the road.
        "stops_per_hour": 1.0,
        # Five parcels of 2 kg in a 40 kg van; 6 h planned of a 9 h shift.
        "load_utilisation": 0.25,
        "time_utilisation": round(6 / 9, 4),
        # o1: predicted at 09:20 (the last at least 30 min before 09:55) for 10:00, +5 min;
        # o2: predicted 12:10, delivered 12:30, -20 min.
        "eta_predictions": 2,
        "eta_error_avg_min": -7.5,
        "eta_abs_error_avg_min": 12.5,
        "eta_abs_error_p90_min": 18.5,
        # The failed log was corrected by a passed one: one passed log of two counted.
        "inspections": 2,
        "inspection_pass_rate": 1.0,
        "holds": 2,
        "orders_held": 2,
        "ratings": 2,
        "csat_avg": 4.0,
        "csat_share_4_5": 0.5,
        # Four opened on the day over three deliveries; the one opened the evening before
        # counts only where it was resolved.
        "complaints": 4,
        "complaints_per_1000_deliveries": round(4 / 3 * 1000, 1),
        # Closed on the day: 2 h, 4 h and 14 h; p90 interpolated 4 + 0.8 * 10.
        "complaints_closed": 3,
        "complaint_resolution_avg_h": round(20 / 3, 2),
        "complaint_resolution_p90_h": 12.0,
        # The one due at 16:00 is still open at the end of the day.
        "complaints_overdue": 1,
        # The voided discount does not count.
        "compensations": 3,
        "compensation_amount": 5.0,
        "compensation_points": 150,
    }
    assert {name: row[name] for name in expected} == pytest.approx(expected)
    assert report.totals.to_dict() == pytest.approx(row.to_dict())


def test_breakdowns_count_failures_unserved_orders_and_holds_by_reason(report):
    failed = report.breakdowns["failed_by_reason"]
    assert sorted(failed[["reason", "attempts"]].itertuples(index=False, name=None)) == [
        ("address_not_found", 1),
        ("not_at_home", 1),
    ]
    unserved = report.breakdowns["unserved_by_reason"]
    assert list(unserved[["reason", "orders"]].itertuples(index=False, name=None)) == [
        ("capacity", 1)
    ]
    holds = report.breakdowns["holds_by_cause"]
    assert sorted(
        holds[["reason", "holds", "orders_affected"]].itertuples(index=False, name=None)
    ) == [("manual", 1, 0), ("temperature_excursion", 1, 2)]


def test_by_courier_puts_the_couriers_work_under_their_name_and_holds_under_none(session):
    day = build_small_day(session)
    report = kpis.compute(session, Period(DAY, DAY, ZONE), kpis.By.COURIER)

    assert list(report.summary.index) == sorted([day.courier_name, kpis.NO_GROUP])
    courier = report.summary.loc[day.courier_name]
    assert (courier["deliveries"], courier["routes"], courier["inspections"]) == (3, 1, 2)
    nobody = report.summary.loc[kpis.NO_GROUP]
    assert (nobody["deliveries"], nobody["holds"], nobody["unserved_orders"]) == (0, 2, 1)
    # The complaint about the order never visited has no courier, and no deliveries to rate.
    assert (courier["complaints"], nobody["complaints"]) == (3, 1)
    assert courier["complaints_per_1000_deliveries"] == 1000.0
    assert pd.isna(nobody["complaints_per_1000_deliveries"])
    assert (courier["complaints_closed"], courier["compensations"]) == (3, 3)


def test_complaints_are_overdue_once_their_due_time_has_passed_and_they_are_still_open(session):
    build_small_day(session)
    period = Period(DAY, DAY, ZONE)

    def overdue(day: date, hour: int, minute: int = 0) -> int:
        now = datetime.combine(day, time(hour, minute), tzinfo=ZONE)
        return int(kpis.compute(session, period, kpis.By.DAY, now=now).totals["complaints_overdue"])

    # Nothing is due at noon; the one due at 16:00 is overdue at 16:30; the next day at 17:00
    # also the one opened at 16:00 (24 h); the three closed ones never are.
    assert (overdue(DAY, 12), overdue(DAY, 16, 30)) == (0, 1)
    assert overdue(DAY + timedelta(days=1), 17) == 2


def test_planned_figures_are_the_plans_as_first_published_not_as_replanned(session):
    day = build_small_day(session)
    morning = session.get(Plan, day.plan_id)
    route = session.get(Route, day.route_id)
    # At 11:00 a replan superseded the morning's plan: its version of the route plans only
    # what was left, from where the courier was.
    morning.status = PlanStatus.SUPERSEDED
    replan = Plan(
        service_date=DAY, status=PlanStatus.PUBLISHED, base_plan_id=morning.id, published_at=at(11)
    )
    session.add(replan)
    session.flush()
    session.add(
        Route(
            plan_id=replan.id,
            vehicle_id=route.vehicle_id,
            courier_id=route.courier_id,
            sequence=1,
            planned_start_at=at(11),
            planned_end_at=at(13),
            distance_m=12_000,
            duration_s=2 * 3600,
            status=route.status,
            departed_at=route.departed_at,
            finished_at=route.finished_at,
        )
    )
    session.flush()

    row = kpis.compute(session, Period(DAY, DAY, ZONE), kpis.By.DAY).summary.loc[DAY.isoformat()]

    assert (row["planned_km"], row["planned_h"]) == (42.0, 6.0)
    assert row["driven_h"] == 5.0
    assert row["time_utilisation"] == round(6 / 9, 4)


def test_by_depot_groups_under_the_depot_code(session):
    day = build_small_day(session)
    report = kpis.compute(session, Period(DAY, DAY, ZONE), kpis.By.DEPOT)

    assert list(report.summary.index) == [day.depot_code]
    assert report.summary.loc[day.depot_code, "deliveries"] == 3


def test_a_period_without_activity_has_zero_counts_and_no_ratios(session):
    build_small_day(session)
    later = DAY + timedelta(days=30)
    report = kpis.compute(session, Period(later, later, ZONE), kpis.By.DAY)

    assert report.summary.empty
    assert report.totals["deliveries"] == 0
    assert math.isnan(report.totals["on_time_rate"])
    assert all(table.empty for table in report.breakdowns.values())
