"""Reading the Solomon / Homberger benchmark files and their best-known values."""

import math
from pathlib import Path

import numpy as np
import pytest

from routing.instances import SCALE, instance_class, parse_solomon, read_bks, read_solomon

# The benchmark data is not part of this repository: it lives next to it, in shared/benchmarks.
DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "benchmarks"


@pytest.fixture(scope="module")
def data_dir() -> Path:
    if not (DATA_DIR / "solomon" / "C101.txt").is_file():
        pytest.skip(f"benchmark data not found in {DATA_DIR.name}/ next to the repository")
    return DATA_DIR


def test_c101_has_100_visits_25_vehicles_of_capacity_200(data_dir):
    instance = read_solomon(data_dir / "solomon" / "C101.txt")
    problem = instance.problem
    assert instance.name == "C101"
    assert instance.instance_class == "C1"
    assert len(problem.visits) == 100
    assert len(problem.vehicles) == 25
    assert {v.capacity for v in problem.vehicles} == {(200,)}
    assert problem.dimensions == ("demand",)


def test_c101_arc_from_depot_to_customer_1_is_truncated_distance_times_ten(data_dir):
    matrix = read_solomon(data_dir / "solomon" / "C101.txt").problem.matrices["car"]
    # depot (40, 50) to customer 1 (45, 68): sqrt(349) = 18.68.. -> 18.6 -> 186
    assert matrix.distance_m[0, 1] == 186
    assert matrix.duration_s[0, 1] == 186
    assert matrix.distance_m.shape == (101, 101)


def test_c101_windows_service_and_shift_are_scaled_by_ten(data_dir):
    problem = read_solomon(data_dir / "solomon" / "C101.txt").problem
    first = problem.visit("1")
    assert first.windows[0].start_s == 912 * SCALE
    assert first.windows[0].end_s == 967 * SCALE
    assert first.service_s == 90 * SCALE
    assert first.demand == (10,)
    vehicle = problem.vehicles[0]
    assert (vehicle.shift.start_s, vehicle.shift.end_s) == (0, 1236 * SCALE)
    assert vehicle.start_location == vehicle.end_location == 0


def test_vehicles_cost_only_distance(data_dir):
    problem = read_solomon(data_dir / "solomon" / "R101.txt").problem
    for vehicle in problem.vehicles:
        assert vehicle.fixed_cost == 0
        assert vehicle.cost_per_hour == 0
        assert vehicle.cost_per_km > 0


def test_homberger_file_without_crlf_parses_to_200_visits_and_50_vehicles(data_dir):
    instance = read_solomon(data_dir / "homberger_200" / "RC2_2_10.txt")
    assert instance.name == "RC2_2_10"
    assert instance.instance_class == "RC2"
    assert len(instance.problem.visits) == 200
    assert len(instance.problem.vehicles) == 50


def test_arcs_match_integer_square_root_everywhere(data_dir):
    text = (data_dir / "solomon" / "RC208.txt").read_text()
    matrix = parse_solomon(text).problem.matrices["car"].distance_m
    rows = [line.split() for line in text.splitlines()[9:] if line.strip()]
    xy = np.asarray([(int(r[1]), int(r[2])) for r in rows])
    expected = np.asarray(
        [[math.isqrt(100 * int(((a - b) ** 2).sum())) for b in xy] for a in xy], dtype=np.int64
    )
    np.testing.assert_array_equal(matrix, expected)


def test_bks_loader_reads_every_instance_with_its_class(data_dir):
    bks = read_bks(data_dir / "bks.csv")
    assert len(bks) == 116
    assert bks["C101"].bks_distance == pytest.approx(827.3)
    assert bks["C101"].instance_class == "C1"
    assert bks["C101"].bks_vehicles == 10
    assert bks["C101"].bks_optimal
    assert bks["R112"].bks_distance == pytest.approx(948.6)
    assert bks["C1_2_1"].set == "homberger_200"
    assert bks["C1_2_1"].bks_vehicles is None
    assert sum(1 for b in bks.values() if b.set == "solomon") == 56


def test_every_solomon_file_has_a_best_known_value(data_dir):
    bks = read_bks(data_dir / "bks.csv")
    names = {p.stem.upper() for p in (data_dir / "solomon").glob("*.txt")}
    assert len(names) == 56
    assert names <= set(bks)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("C101", "C1"), ("RC208", "RC2"), ("R112", "R1"), ("R1_2_10", "R1"), ("rc2_2_1", "RC2")],
)
def test_instance_class_from_name(name, expected):
    assert instance_class(name) == expected


def test_a_file_without_fleet_line_is_refused():
    with pytest.raises(ValueError, match="NUMBER CAPACITY"):
        parse_solomon("X1\n\nCUSTOMER\n 0 1 1 0 0 10 0\n")


def test_inline_text_parses_without_data_files():
    text = (
        "TINY\r\n\r\nVEHICLE\r\nNUMBER     CAPACITY\r\n  2   10\r\n\r\nCUSTOMER\r\n"
        "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\r\n"
        " \r\n    0  0  0  0  0  100  0\r\n    1  3  4  5  10  20  1\r\n"
    )
    instance = parse_solomon(text)
    assert instance.name == "TINY"
    assert instance.problem.matrices["car"].distance_m[0, 1] == 50
    assert len(instance.problem.vehicles) == 2
