"""plan.json, routes.csv and map.html from a hand-built solution, and the all-or-nothing write."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest

import routing
from dispatch.plan_files import read_plan_files
from dispatch.plan_input import PlanInput
from dispatch.plan_map import MapPoint, MapRoute, MapUnserved, PlanMapView, render_plan_map
from dispatch.plan_output import (
    ROUTES_CSV_COLUMNS,
    map_view,
    plan_json,
    render_outputs,
    routes_csv,
    write_outputs,
)
from dispatch.plan_report import (
    PlanReport,
    ReportedViolation,
    build_report,
    format_clock,
    format_hhmm,
)

ORDERS = """order_id,name,address,lat,lng,window_start,window_end,weight_kg,volume_l,parcels,skills
A1,Mari Tamm,Viru 1,59.4370,24.7536,09:00,12:00,2.5,10,1,
A2,<b>Kohvik</b>,Pae 5,59.4330,24.8060,,,1,5,2,
A3,Jaan Saar,Sõle 9,59.4395,24.7140,10:00,11:00,4,8,1,chilled
"""
VEHICLES = """vehicle_id,name,depot_name,depot_lat,depot_lng,shift_start,shift_end
V1,Van 1,Ülemiste depot,59.4190,24.8011,08:00,17:00
V2,Car 2,Kadaka depot,59.4231,24.6612,08:00,17:00
"""


@pytest.fixture
def plan_input(tmp_path: Path) -> PlanInput:
    (tmp_path / "orders.csv").write_text(ORDERS, encoding="utf-8")
    (tmp_path / "vehicles.csv").write_text(VEHICLES, encoding="utf-8")
    return read_plan_files(tmp_path / "orders.csv", tmp_path / "vehicles.csv")


def hand_made_solution() -> routing.Solution:
    tour = routing.Tour(
        vehicle_id="V1",
        start_s=8 * 3600,
        end_s=10 * 3600 + 15 * 60,
        arrivals=(
            routing.Arrival(
                "A2", 8 * 3600 + 600, 0, 8 * 3600 + 600, 8 * 3600 + 900, (2500, 10000, 1), 3200
            ),
            routing.Arrival("A1", 9 * 3600 - 300, 300, 9 * 3600, 9 * 3600 + 300, (0, 0, 0), 7950),
        ),
        distance_m=12_345,
        load_at_start=(3500, 15000, 3),
        breaks=(routing.BreakTaken(9 * 3600 + 600, 1800),),
        cost=23.5,
    )
    empty = routing.Tour("V2", 8 * 3600, 8 * 3600, (), 0, (0, 0, 0))
    return routing.Solution(
        tours=(tour, empty),
        unassigned=(routing.Unassigned("A3", routing.UnassignedReason.NO_VEHICLE_WITH_SKILL),),
        cost=23.5,
        status="success",
        wall_time_s=1.25,
    )


def report_of(plan_input: PlanInput, violations: tuple[ReportedViolation, ...] = ()) -> PlanReport:
    return build_report(
        plan_input,
        hand_made_solution(),
        violations,
        date=dt.date(2025, 3, 2),
        orders_file="orders.csv",
        vehicles_file="vehicles.csv",
        time_limit_s=5.0,
    )


def test_plan_json_lists_routes_with_a_timetable_in_human_units(plan_input: PlanInput) -> None:
    document = json.loads(json.dumps(plan_json(report_of(plan_input))))
    assert document["date"] == "2025-03-02"
    [route] = document["routes"]  # the empty tour of V2 is not a route
    assert route["vehicle_id"] == "V1"
    assert (route["start"], route["end"], route["duration"]) == ("08:00:00", "10:15:00", "02:15:00")
    assert route["distance_km"] == 12.345
    assert route["start_depot"]["name"] == "Ülemiste depot"
    assert route["end_depot"]["name"] == "Ülemiste depot"
    assert route["load_at_start"] == {"weight_kg": 3.5, "volume_l": 15.0, "parcels": 3}
    assert route["breaks"] == [{"start": "09:10:00", "duration": "00:30:00"}]
    first, second = route["visits"]
    assert [first["seq"], first["order_id"], second["order_id"]] == [1, "A2", "A1"]
    assert second["windows"] == [{"start": "09:00:00", "end": "12:00:00"}]
    assert (second["arrival"], second["wait"], second["service_start"], second["departure"]) == (
        "08:55:00",
        "00:05:00",
        "09:00:00",
        "09:05:00",
    )
    assert first["load_after"] == {"weight_kg": 2.5, "volume_l": 10.0, "parcels": 1}
    assert second["distance_km"] == 7.95


def test_plan_json_totals_unserved_and_validation(plan_input: PlanInput) -> None:
    document = plan_json(report_of(plan_input))
    assert document["totals"] == {
        "orders": 3,
        "served": 2,
        "unserved": 1,
        "vehicles": 2,
        "vehicles_used": 1,
        "distance_km": 12.345,
        "route_duration": "02:15:00",
        "cost": 23.5,
    }
    [unserved] = document["unserved"]
    assert unserved["order_id"] == "A3"
    assert unserved["reason"] == "no_vehicle_with_skill"
    assert unserved["text"] == "no vehicle has the skills it needs"
    assert document["validation"] == {"ok": True, "violations": []}


def test_violations_make_the_plan_invalid(plan_input: PlanInput) -> None:
    violation = ReportedViolation("outside_window", "A1 is served after its window", "V1", "A1")
    document = plan_json(report_of(plan_input, (violation,)))
    assert document["validation"] == {
        "ok": False,
        "violations": [
            {
                "code": "outside_window",
                "text": "A1 is served after its window",
                "vehicle_id": "V1",
                "order_id": "A1",
            }
        ],
    }


def test_routes_csv_has_one_row_per_visit(plan_input: PlanInput) -> None:
    rows = list(csv.DictReader(io.StringIO(routes_csv(report_of(plan_input)))))
    assert tuple(rows[0]) == ROUTES_CSV_COLUMNS
    assert [(r["vehicle_id"], r["seq"], r["order_id"]) for r in rows] == [
        ("V1", "1", "A2"),
        ("V1", "2", "A1"),
    ]
    assert rows[1]["windows"] == "09:00-12:00"
    assert rows[0]["windows"] == "any time"
    assert rows[1]["arrival"] == "08:55:00"
    assert rows[0]["load_after_kg"] == "2.5"


def test_map_view_numbers_stops_and_explains_unserved(plan_input: PlanInput) -> None:
    view = map_view(report_of(plan_input))
    [route] = view.routes
    assert [s.label for s in route.stops] == ["1", "2"]
    assert route.start == route.end == (59.4190, 24.8011)
    popup = route.stops[1].popup
    assert "A1 Mari Tamm" in popup
    assert "window: 09:00-12:00" in popup
    assert "arrival: 08:55 (waits 5 min)" in popup
    # Every depot of the fleet is drawn, also those of unused vehicles.
    assert {d.popup for d in view.depots} == {"Ülemiste depot", "Kadaka depot"}
    [unserved] = view.unserved
    assert unserved.label == "A3 Jaan Saar"
    assert unserved.reason == "no vehicle has the skills it needs"


def test_map_html_works_offline_and_escapes_names(plan_input: PlanInput) -> None:
    html = render_outputs(report_of(plan_input))["map.html"]
    assert not re.search(r"<script[^>]*\ssrc=", html)
    assert not re.search(r"<link[^>]*\shref=", html)
    for host in ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com", "bootstrapcdn"):
        assert host not in html
    # Leaflet itself is inlined, images included.
    assert "Leaflet 1.9" in html
    assert ".leaflet-container" in html
    assert "url(images/" not in html
    # Order names from the CSV are data, never markup.
    assert "<b>Kohvik</b>" not in html
    assert "Not served (1)" in html
    assert "no vehicle has the skills it needs" in html
    assert "tile.openstreetmap.org" in html


def test_map_tiles_are_configurable(plan_input: PlanInput) -> None:
    report = report_of(plan_input)
    custom = render_outputs(report, tiles="http://tiles.local/{z}/{x}/{y}.png", attribution="me")
    assert "http://tiles.local/{z}/{x}/{y}.png" in custom["map.html"]
    assert "tile.openstreetmap.org" not in custom["map.html"]
    bare = render_outputs(report, tiles=None)
    assert "L.tileLayer(" not in bare["map.html"]


def test_map_of_an_empty_plan_renders() -> None:
    view = PlanMapView("nothing", (), (MapPoint(59.4, 24.8, "D", "depot"),), ())
    html = render_plan_map(view)
    assert "no routes" in html


def test_map_draws_one_polyline_and_colour_per_route() -> None:
    stops = (MapPoint(59.43, 24.75, "1", "A1"),)
    view = PlanMapView(
        "two routes",
        (
            MapRoute("V1", "1 stop", (59.41, 24.80), stops, (59.41, 24.80)),
            MapRoute("V2", "1 stop", (59.42, 24.66), stops, None),
        ),
        (),
        (MapUnserved(59.45, 24.70, "A9", "too heavy"),),
    )
    html = render_plan_map(view)
    assert html.count("L.polyline(") == 2
    assert '"color": "#1f77b4"' in html
    assert '"color": "#d62728"' in html
    assert "#7f7f7f" in html  # the grey unserved marker


def test_outputs_are_written_into_a_new_directory(plan_input: PlanInput, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "plan-out"
    write_outputs(out, render_outputs(report_of(plan_input)))
    assert sorted(p.name for p in out.iterdir()) == ["map.html", "plan.json", "routes.csv"]
    assert json.loads((out / "plan.json").read_text(encoding="utf-8"))["date"] == "2025-03-02"
    assert [p.name for p in out.parent.iterdir()] == ["plan-out"]  # no staging left behind


def test_outputs_replace_old_files_and_keep_others(plan_input: PlanInput, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.json").write_text("old", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    write_outputs(out, render_outputs(report_of(plan_input)))
    assert (out / "plan.json").read_text(encoding="utf-8") != "old"
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_failed_write_leaves_the_directory_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(OSError, match="No such file"):
        write_outputs(out, {"plan.json": "{}", "missing/routes.csv": ""})
    assert list(tmp_path.iterdir()) == []


def test_clock_format_goes_past_midnight() -> None:
    assert format_clock(0) == "00:00:00"
    assert format_clock(25 * 3600 + 61) == "25:01:01"


def test_hhmm_drops_seconds_and_keeps_long_hours() -> None:
    assert format_hhmm(9 * 3600 + 59) == "09:00"
    assert format_hhmm(100 * 3600) == "100:00"
