"""Reading ORDERS.csv and VEHICLES.csv: units, defaults, and one message listing every bad row."""

from __future__ import annotations

from pathlib import Path

import pytest

import routing
from dispatch.csv_rows import PlanInputError
from dispatch.plan_files import read_plan_files
from dispatch.plan_input import PlanInput
from infra.errors import Invalid

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

ORDER_HEADER = (
    "order_id,lat,lng,window_start,window_end,service_min,weight_kg,volume_l,parcels,"
    "skills,priority,kind"
)
GOOD_ORDER = "A1,59.4370,24.7536,09:00,12:00,4,2.5,12,2,,0,delivery"
VEHICLE_HEADER = "vehicle_id,depot_lat,depot_lng,shift_start,shift_end,capacity_kg"
GOOD_VEHICLE = "V1,59.4190,24.8011,08:00,17:00,500"


def write(directory: Path, name: str, lines: list[str]) -> Path:
    path = directory / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read(
    tmp_path: Path,
    orders: list[str] | None = None,
    vehicles: list[str] | None = None,
) -> PlanInput:
    orders_path = write(tmp_path, "orders.csv", orders or [ORDER_HEADER, GOOD_ORDER])
    vehicles_path = write(tmp_path, "vehicles.csv", vehicles or [VEHICLE_HEADER, GOOD_VEHICLE])
    return read_plan_files(orders_path, vehicles_path)


def problems(
    tmp_path: Path, orders: list[str] | None = None, vehicles: list[str] | None = None
) -> list[str]:
    """The problem lines of the error, with the directory stripped from file names."""
    with pytest.raises(PlanInputError) as caught:
        read(tmp_path, orders, vehicles)
    lines = str(caught.value).replace(f"{tmp_path}/", "").splitlines()
    assert lines[0].endswith("in the input files:")
    assert len(lines) - 1 == len(caught.value.row_problems)
    return lines[1:]


# --- what a good file turns into -------------------------------------------------------------


def test_good_files_become_a_problem_in_grams_cm3_and_seconds(tmp_path: Path) -> None:
    plan = read(tmp_path)
    visit = plan.problem.visit("A1")
    assert visit.windows == (routing.TimeWindow(9 * 3600, 12 * 3600),)
    assert visit.service_s == 240
    assert visit.demand == (2500, 12000, 2)
    assert plan.problem.dimensions == ("weight_g", "volume_cm3", "parcels")
    vehicle = plan.problem.vehicle("V1")
    assert vehicle.shift == routing.TimeWindow(8 * 3600, 17 * 3600)
    assert vehicle.capacity[0] == 500_000
    assert vehicle.end_location == vehicle.start_location


def test_empty_cells_take_the_documented_defaults(tmp_path: Path) -> None:
    plan = read(tmp_path, orders=["order_id,lat,lng", "A1,59.437,24.7536"])
    visit = plan.problem.visit("A1")
    assert visit.windows == ()
    assert visit.service_s == 300
    assert visit.demand == (0, 0, 1)
    assert visit.kind == routing.VisitKind.DELIVERY
    assert visit.priority == 0
    assert visit.allowed_vehicles is None
    vehicle = plan.problem.vehicle("V1")
    assert vehicle.profile == "30kmh"
    assert (vehicle.cost_per_km, vehicle.cost_per_hour, vehicle.fixed_cost) == (1.0, 0.0, 0.0)
    assert vehicle.breaks == ()
    assert vehicle.max_duration_s is None


def test_empty_capacity_means_no_limit(tmp_path: Path) -> None:
    orders = [
        "order_id,lat,lng,weight_kg,volume_l,parcels",
        "A1,59.437,24.7536,3,10,2",
        "A2,59.440,24.7600,4,20,3",
    ]
    vehicles = [
        "vehicle_id,depot_lat,depot_lng,shift_start,shift_end,capacity_kg,capacity_l",
        "V1,59.419,24.8011,08:00,17:00,,",
    ]
    plan = read(tmp_path, orders, vehicles)
    # The whole day's demand: more than any route can carry.
    assert plan.problem.vehicle("V1").capacity == (7000, 30000, 5)


def test_half_open_and_second_windows_are_read_and_sorted(tmp_path: Path) -> None:
    orders = [
        "order_id,lat,lng,window_start,window_end,window2_start,window2_end",
        "A1,59.437,24.7536,15:00,17:00,09:00,11:00",
        "A2,59.437,24.7536,,14:00,,",
        "A3,59.437,24.7536,16:30,,,",
    ]
    plan = read(tmp_path, orders)
    hours = 3600
    assert plan.problem.visit("A1").windows == (
        routing.TimeWindow(9 * hours, 11 * hours),
        routing.TimeWindow(15 * hours, 17 * hours),
    )
    assert plan.problem.visit("A2").windows == (routing.TimeWindow(0, 14 * hours),)
    assert plan.problem.visit("A3").windows == (routing.TimeWindow(16 * hours + 1800, 24 * hours),)


def test_skills_kinds_classes_and_pins_are_read(tmp_path: Path) -> None:
    orders = [
        "order_id,lat,lng,skills,kind,goods_class,vehicles,priority",
        "A1,59.437,24.7536, Chilled ; fragile ,PICKUP,food,V1,3",
    ]
    visit = read(tmp_path, orders).problem.visit("A1")
    assert visit.skills == frozenset({"chilled", "fragile"})
    assert visit.kind == routing.VisitKind.PICKUP
    assert visit.goods_class == "food"
    assert visit.allowed_vehicles == frozenset({"V1"})
    assert visit.priority == 3


def test_one_location_per_distinct_coordinate_and_several_depots(tmp_path: Path) -> None:
    orders = [
        "order_id,lat,lng",
        "A1,59.437,24.7536",
        "A2,59.4370000,24.75360",  # the same door, typed differently
        "A3,59.419,24.8011",  # at the first depot
    ]
    vehicles = [
        "vehicle_id,depot_lat,depot_lng,end_lat,end_lng,shift_start,shift_end,depot_name",
        "V1,59.419,24.8011,,,08:00,17:00,East",
        "V2,59.4231,24.6612,59.419,24.8011,08:00,17:00,West",
    ]
    plan = read(tmp_path, orders, vehicles)
    assert len(plan.locations) == 3
    assert plan.problem.visit("A1").location == plan.problem.visit("A2").location
    assert plan.problem.visit("A3").location == plan.problem.vehicle("V1").start_location
    assert plan.problem.vehicle("V2").end_location == plan.problem.vehicle("V1").start_location
    assert plan.locations[plan.problem.vehicle("V2").start_location].name == "West"
    matrix = plan.problem.matrices["30kmh"]
    assert matrix.size == 3


def test_breaks_default_to_the_shift_and_are_clipped_to_it(tmp_path: Path) -> None:
    vehicles = [
        "vehicle_id,depot_lat,depot_lng,shift_start,shift_end,break_min,break_start,break_end",
        "V1,59.419,24.8011,08:00,17:00,30,,",
        "V2,59.419,24.8011,10:00,19:00,20,07:00,13:00",
    ]
    plan = read(tmp_path, vehicles=vehicles)
    hours = 3600
    assert plan.problem.vehicle("V1").breaks == (
        routing.Break(1800, routing.TimeWindow(8 * hours, 17 * hours)),
    )
    assert plan.problem.vehicle("V2").breaks == (
        routing.Break(1200, routing.TimeWindow(10 * hours, 13 * hours)),
    )


def test_vehicles_with_different_speeds_get_their_own_matrices(tmp_path: Path) -> None:
    vehicles = [
        "vehicle_id,depot_lat,depot_lng,shift_start,shift_end,speed_kmh,max_duration_h",
        "V1,59.419,24.8011,08:00,17:00,30,8",
        "V2,59.419,24.8011,08:00,17:00,15,",
    ]
    plan = read(tmp_path, vehicles=vehicles)
    assert set(plan.problem.matrices) == {"30kmh", "15kmh"}
    assert plan.problem.vehicle("V2").profile == "15kmh"
    assert plan.problem.vehicle("V1").max_duration_s == 8 * 3600


def test_headers_are_case_insensitive_and_a_bom_is_ignored(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_bytes("\ufeffOrder_ID, LAT ,Lng\nA1,59.437,24.7536\n".encode())
    vehicles = write(tmp_path, "vehicles.csv", [VEHICLE_HEADER, GOOD_VEHICLE])
    assert read_plan_files(orders, vehicles).orders[0].order_id == "A1"


def test_unknown_columns_and_far_orders_are_warnings(tmp_path: Path) -> None:
    orders = [
        "order_id,lat,lng,colour",
        "A1,59.437,24.7536,red",
        "A2,24.7536,59.437,blue",  # lat and lng swapped: somewhere in Saudi Arabia
    ]
    plan = read(tmp_path, orders)
    assert any("ignoring unknown column(s) 'colour'" in w for w in plan.warnings)
    assert any(
        w.startswith("order A2 is ") and "from the nearest depot" in w for w in plan.warnings
    )
    assert not any("order A1" in w for w in plan.warnings)


def test_the_examples_parse() -> None:
    plan = read_plan_files(EXAMPLES / "orders.csv", EXAMPLES / "vehicles.csv")
    assert len(plan.orders) >= 50
    assert len(plan.vehicles) >= 5
    assert len({(v.depot_lat, v.depot_lng) for v in plan.vehicles}) == 2
    assert any("chilled" in v.skills for v in plan.problem.vehicles)
    assert any("chilled" in v.skills for v in plan.problem.visits)
    assert plan.warnings == ()


# --- every class of bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "A1,95,24.75,,,,,,,,,",
            "orders.csv:2: field 'lat': must be between -90 and 90, got 95",
        ),
        (
            "A1,59.4,-181,,,,,,,,,",
            "orders.csv:2: field 'lng': must be between -180 and 180, got -181",
        ),
        ("A1,,24.75,,,,,,,,,", "orders.csv:2: field 'lat': is required"),
        ("A1,north,24.75,,,,,,,,,", "orders.csv:2: field 'lat': 'north' is not a number"),
        (
            "A1,59.4,24.75,9.30,12:00,,,,,,,",
            "orders.csv:2: field 'window_start': '9.30' is not a time of day",
        ),
        (
            "A1,59.4,24.75,09:00,25:00,,,,,,,",
            "orders.csv:2: field 'window_end': '25:00' is not a time of day",
        ),
        (
            "A1,59.4,24.75,12:00,09:00,,,,,,,",
            "orders.csv:2: field 'window_end': window ends at 09:00, before it starts at 12:00",
        ),
        (
            "A1,59.4,24.75,,,-1,,,,,,",
            "orders.csv:2: field 'service_min': must not be negative, got -1",
        ),
        (
            "A1,59.4,24.75,,,,-2.5,,,,,",
            "orders.csv:2: field 'weight_kg': must not be negative, got -2.5",
        ),
        (
            'A1,59.4,24.75,,,,,"1,5",,,,',
            "orders.csv:2: field 'volume_l': '1,5' is not a number (use '.' as the decimal",
        ),
        (
            "A1,59.4,24.75,,,,,,-1,,,",
            "orders.csv:2: field 'parcels': must not be negative, got -1",
        ),
        ("A1,59.4,24.75,,,,,,1.5,,,", "orders.csv:2: field 'parcels': '1.5' is not a whole number"),
        ("A1,59.4,24.75,,,,,,,,high,", "orders.csv:2: field 'priority': 'high' is not a whole"),
        (
            "A1,59.4,24.75,,,,,,,,,return",
            "orders.csv:2: field 'kind': unknown kind 'return'; use delivery or pickup",
        ),
        (",59.4,24.75,,,,,,,,,", "orders.csv:2: field 'order_id': is required"),
        (
            "A1,59.4,24.75,,,,,,,,,,extra",
            "orders.csv:2: has 13 fields but the header has 12 columns",
        ),
    ],
)
def test_a_bad_order_field_is_reported_with_file_row_and_field(
    tmp_path: Path, row: str, expected: str
) -> None:
    lines = problems(tmp_path, orders=[ORDER_HEADER, row])
    assert len(lines) == 1
    assert lines[0].startswith(expected)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "V1,59.419,24.8011,17:00,08:00",
            "vehicles.csv:2: field 'shift_end': shift ends at 08:00, not after it starts at 17:00",
        ),
        ("V1,59.419,24.8011,,17:00", "vehicles.csv:2: field 'shift_start': is required"),
        ("V1,59.419,200,08:00,17:00", "vehicles.csv:2: field 'depot_lng': must be between"),
        (
            "V1,59.419,24.8011,08:00,17:00,-5",
            "vehicles.csv:2: field 'capacity_kg': must not be negative, got -5",
        ),
        (
            "V1,59.419,24.8011,08:00,17:00,,,,0",
            "vehicles.csv:2: field 'speed_kmh': must be positive, got 0",
        ),
        (
            "V1,59.419,24.8011,08:00,17:00,,59.4,",
            "vehicles.csv:2: field 'end_lng': is required when end_lat is given",
        ),
        (
            "V1,59.419,24.8011,08:00,17:00,,,,,12:00",
            "vehicles.csv:2: field 'break_min': is required when break_start or break_end",
        ),
        (
            "V1,59.419,24.8011,08:00,17:00,,,,,18:00,19:00,30",
            "vehicles.csv:2: field 'break_start': the break window lies outside the shift",
        ),
    ],
)
def test_a_bad_vehicle_field_is_reported_with_file_row_and_field(
    tmp_path: Path, row: str, expected: str
) -> None:
    header = (
        "vehicle_id,depot_lat,depot_lng,shift_start,shift_end,capacity_kg,end_lat,end_lng,"
        "speed_kmh,break_start,break_end,break_min"
    )
    lines = problems(tmp_path, vehicles=[header, row])
    assert len(lines) == 1
    assert lines[0].startswith(expected)


def test_missing_columns_are_reported_on_the_header_row(tmp_path: Path) -> None:
    lines = problems(
        tmp_path,
        orders=["order_id,latitude,lng", "A1,59.4,24.75"],
        vehicles=["vehicle_id,depot_lat,depot_lng,shift_start", "V1,59.4,24.8,08:00"],
    )
    assert lines == [
        "orders.csv:1: field 'lat': required column is missing",
        "vehicles.csv:1: field 'shift_end': required column is missing",
    ]


def test_a_semicolon_separated_file_gets_a_hint(tmp_path: Path) -> None:
    lines = problems(tmp_path, orders=["order_id;lat;lng", "A1;59.4;24.75"])
    assert "the header seems to use ';' as separator" in lines[0]


def test_duplicate_ids_name_the_first_row(tmp_path: Path) -> None:
    lines = problems(
        tmp_path,
        orders=[ORDER_HEADER, GOOD_ORDER, GOOD_ORDER.replace("A1", "A2"), GOOD_ORDER],
        vehicles=[VEHICLE_HEADER, GOOD_VEHICLE, GOOD_VEHICLE],
    )
    assert lines == [
        "orders.csv:4: field 'order_id': duplicate id 'A1' (first on row 2)",
        "vehicles.csv:3: field 'vehicle_id': duplicate id 'V1' (first on row 2)",
    ]


def test_overlapping_windows_are_refused(tmp_path: Path) -> None:
    lines = problems(
        tmp_path,
        orders=[
            "order_id,lat,lng,window_start,window_end,window2_start,window2_end",
            "A1,59.4,24.75,09:00,12:00,11:00,14:00",
        ],
    )
    assert lines == [
        "orders.csv:2: field 'window2_start': the two time windows overlap; merge them into one"
    ]


def test_an_order_pinned_to_an_unknown_vehicle_is_refused(tmp_path: Path) -> None:
    lines = problems(tmp_path, orders=["order_id,lat,lng,vehicles", "A1,59.4,24.75,V1;V9"])
    assert lines == ["orders.csv:2: field 'vehicles': unknown vehicle 'V9' (not in vehicles.csv)"]


def test_every_bad_row_of_both_files_is_listed_in_one_message(tmp_path: Path) -> None:
    lines = problems(
        tmp_path,
        orders=[
            ORDER_HEADER,
            "A1,95,24.75,25:00,,,,,,,,",
            GOOD_ORDER.replace("A1", "A2"),
            "A3,59.4,24.75,,,,-1,,,,,parcel",
        ],
        vehicles=[VEHICLE_HEADER, "V1,59.419,24.8011,17:00,08:00,"],
    )
    assert lines == [
        "orders.csv:2: field 'lat': must be between -90 and 90, got 95",
        "orders.csv:2: field 'window_start': '25:00' is not a time of day (HH:MM, 00:00 to 24:00)",
        "orders.csv:4: field 'weight_kg': must not be negative, got -1",
        "orders.csv:4: field 'kind': unknown kind 'parcel'; use delivery or pickup",
        "vehicles.csv:2: field 'shift_end': shift ends at 08:00, not after it starts at 17:00",
    ]


def test_blank_rows_are_skipped_and_row_numbers_are_file_lines(tmp_path: Path) -> None:
    lines = problems(tmp_path, orders=[ORDER_HEADER, GOOD_ORDER, "", ",,,,,,,,,,,", "A2,95,1"])
    assert lines == ["orders.csv:5: field 'lat': must be between -90 and 90, got 95"]


@pytest.mark.parametrize(
    ("orders", "expected"),
    [
        ([""], "orders.csv:1: the file is empty (no header row)"),
        ([ORDER_HEADER], "orders.csv:2: the file has no order rows"),
    ],
)
def test_empty_files_are_refused(tmp_path: Path, orders: list[str], expected: str) -> None:
    assert problems(tmp_path, orders=orders) == [expected]


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_bytes("order_id,lat,lng,name\nA1,59.4,24.75,J\xfcri\n".encode("latin-1"))
    vehicles = write(tmp_path, "vehicles.csv", [VEHICLE_HEADER, GOOD_VEHICLE])
    with pytest.raises(PlanInputError, match=r"orders.csv: is not UTF-8 text"):
        read_plan_files(orders, vehicles)


def test_the_error_is_an_invalid_domain_error_with_field_problems(tmp_path: Path) -> None:
    with pytest.raises(Invalid) as caught:
        read(tmp_path, orders=[ORDER_HEADER, "A1,95,24.75,,,,,,,,,"])
    assert caught.value.code == "plan_input_invalid"
    [problem] = caught.value.problems
    assert (problem.field, problem.row) == ("lat", 2)


def test_reading_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(PlanInputError):
        read(tmp_path, orders=[ORDER_HEADER, "A1,95,24.75,,,,,,,,,"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv", "vehicles.csv"]
