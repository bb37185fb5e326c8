"""`sameday plan`: refuses bad files without writing anything, plans good ones end to end."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SMALL_ORDERS = """order_id,name,lat,lng,window_start,window_end,weight_kg,parcels,skills
S1,Mari Tamm,59.4370,24.7536,09:00,12:00,2,1,
S2,Jaan Saar,59.4330,24.8060,,,5,2,
S3,Kohvik Roos,59.4455,24.7330,10:00,14:00,1,1,chilled
S4,Liis Kask,59.4240,24.7200,13:00,16:00,3,1,
S5,Anu Mets,59.4045,24.6960,,,1,1,hazmat
"""
SMALL_VEHICLES = """vehicle_id,depot_lat,depot_lng,shift_start,shift_end,capacity_kg,skills
V1,59.4190,24.8011,08:00,17:00,100,chilled
V2,59.4231,24.6612,08:00,17:00,100,
"""


def run(*args: str | Path) -> tuple[int, str]:
    # Wide enough that Typer's error box does not wrap the messages.
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def write_inputs(tmp_path: Path, orders: str, vehicles: str) -> tuple[Path, Path]:
    orders_path = tmp_path / "orders.csv"
    vehicles_path = tmp_path / "vehicles.csv"
    orders_path.write_text(orders, encoding="utf-8")
    vehicles_path.write_text(vehicles, encoding="utf-8")
    return orders_path, vehicles_path


def test_plan_is_a_subcommand_of_sameday() -> None:
    code, output = run("--help")
    assert code == 0
    assert "plan" in output


def test_bad_input_exits_2_listing_every_bad_row_and_writes_nothing(tmp_path: Path) -> None:
    orders, vehicles = write_inputs(
        tmp_path,
        SMALL_ORDERS.replace("09:00,12:00", "12:00,09:00").replace("S5,Anu", "S4,Anu"),
        SMALL_VEHICLES.replace("V2,59.4231", "V2,99.4231"),
    )
    out = tmp_path / "out"
    code, output = run("plan", orders, vehicles, "--out", out, "--time-limit", "1")
    assert code == 2
    assert "3 problems in the input files" in output
    assert re.search(r"orders\.csv:2: field 'window_end': window ends at 09:00", output)
    assert re.search(
        r"orders\.csv:6: field 'order_id': duplicate id 'S4' \(first on row 5\)", output
    )
    assert re.search(r"vehicles\.csv:3: field 'depot_lat': must be between -90 and 90", output)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv", "vehicles.csv"]


def test_bad_input_leaves_an_existing_output_directory_alone(tmp_path: Path) -> None:
    orders, vehicles = write_inputs(tmp_path, "order_id,lat\nS1,59.4\n", SMALL_VEHICLES)
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.json").write_text("yesterday", encoding="utf-8")
    code, output = run("plan", orders, vehicles, "--out", out)
    assert code == 2
    assert "orders.csv:1: field 'lng': required column is missing" in output
    assert [p.name for p in out.iterdir()] == ["plan.json"]
    assert (out / "plan.json").read_text(encoding="utf-8") == "yesterday"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--date", "2025-13-01"], "is not a date"),
        (["--time-limit", "0"], "--time-limit"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    orders, vehicles = write_inputs(tmp_path, SMALL_ORDERS, SMALL_VEHICLES)
    out = tmp_path / "out"
    code, output = run("plan", orders, vehicles, "--out", out, *extra)
    assert code == 2
    assert message in output
    assert not out.exists()


def test_a_missing_input_file_exits_2(tmp_path: Path) -> None:
    code, output = run("plan", tmp_path / "nope.csv", tmp_path / "nope2.csv", "--out", tmp_path)
    assert code == 2
    assert "does not exist" in output


def assert_plan_files(out: Path, order_ids: set[str]) -> dict[str, Any]:
    assert sorted(p.name for p in out.iterdir()) == ["map.html", "plan.json", "routes.csv"]
    plan: dict[str, Any] = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["validation"] == {"ok": True, "violations": []}
    routed = [v["order_id"] for r in plan["routes"] for v in r["visits"]]
    unserved = [u["order_id"] for u in plan["unserved"]]
    # Every order is either on exactly one route or unserved with a reason.
    assert sorted(routed + unserved) == sorted(order_ids)
    assert all(u["reason"] and u["text"] for u in plan["unserved"])
    for route in plan["routes"]:
        for visit in route["visits"]:
            assert re.fullmatch(r"\d\d:\d\d:\d\d", visit["arrival"])
            assert visit["service_start"] >= visit["arrival"]
    with (out / "routes.csv").open(encoding="utf-8", newline="") as handle:
        assert [r["order_id"] for r in csv.DictReader(handle)] == routed
    html = (out / "map.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\ssrc=[\"']?https?:", html)
    assert not re.search(r"<link[^>]*\shref=[\"']?https?:", html)
    assert "Leaflet 1.9" in html
    return plan


def test_small_plan_end_to_end(tmp_path: Path) -> None:
    orders, vehicles = write_inputs(tmp_path, SMALL_ORDERS, SMALL_VEHICLES)
    out = tmp_path / "out"
    code, output = run(
        "plan", orders, vehicles, "--out", out, "--time-limit", "1", "--date", "2025-03-02"
    )
    assert code == 0, output
    assert "validated: no violations" in output
    plan = assert_plan_files(out, {"S1", "S2", "S3", "S4", "S5"})
    assert plan["date"] == "2025-03-02"
    # Nobody has the skill hazmat.
    [unserved] = plan["unserved"]
    assert (unserved["order_id"], unserved["reason"]) == ("S5", "no_vehicle_with_skill")
    assert unserved["text"].startswith("no vehicle has the skills it needs")
    routes = {r["vehicle_id"]: [v["order_id"] for v in r["visits"]] for r in plan["routes"]}
    assert any("S3" in ids for vehicle, ids in routes.items() if vehicle == "V1")
    assert "S5" in output


@pytest.mark.slow
def test_the_examples_plan_end_to_end(tmp_path: Path) -> None:
    """Runs the command in its own process, the way a dispatcher does."""
    out = tmp_path / "plan-out"
    orders = EXAMPLES / "orders.csv"
    command = [sys.executable, "-c", "from cli.main import app; app()", "plan"]
    arguments = [str(orders), str(EXAMPLES / "vehicles.csv"), "--out", str(out)]
    completed = subprocess.run(
        [*command, *arguments, "--time-limit", "3", "--date", "2025-03-02"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "validated: no violations" in completed.stdout
    with orders.open(encoding="utf-8", newline="") as handle:
        order_ids = {row["order_id"] for row in csv.DictReader(handle)}
    plan = assert_plan_files(out, order_ids)
    assert plan["totals"]["served"] >= 55
    assert plan["totals"]["vehicles_used"] >= 2
