"""Reading a dispatcher's ORDERS.csv and VEHICLES.csv into a PlanInput, reporting every bad row.

Both files are comma-separated UTF-8 with a header row; column names are case-insensitive, their
order does not matter and unknown columns are ignored with a warning. Empty cells take the
default. Times of day are HH:MM (or HH:MM:SS), 00:00 to 24:00, on the plan's date.

ORDERS.csv, one row per stop:

    order_id        required, unique
    lat, lng        required, WGS-84 degrees
    window_start    HH:MM; empty = from 00:00          } empty both = any time in the shift
    window_end      HH:MM; empty = until 24:00         }
    window2_start   optional second window ("9-11 or 14-16"), same rules;
    window2_end       the two windows must not overlap
    service_min     minutes spent at the stop, default 5
    weight_kg       default 0
    volume_l        litres, default 0
    parcels         whole number, default 1
    skills          what the vehicle must offer, `;`-separated (e.g. `chilled;fragile`)
    priority        whole number >= 0, default 0; higher is kept first when not all fit
    kind            `delivery` (default, loaded at the depot) or `pickup` (a return, brought back)
    goods_class     free text, e.g. `food`; shown in the plan
    vehicles        `;`-separated vehicle ids the order is restricted to; empty = any
    name, address   for display only

VEHICLES.csv, one row per vehicle with its courier for the day:

    vehicle_id              required, unique
    depot_lat, depot_lng    required, where the route starts
    end_lat, end_lng        where the route ends; empty = back at the start depot
    shift_start, shift_end  required, HH:MM
    capacity_kg             empty = no limit
    capacity_l              litres, empty = no limit
    capacity_parcels        empty = no limit
    skills                  `;`-separated, e.g. `chilled`
    speed_kmh               average road speed, default 30
    cost_per_km             default 1
    cost_per_hour           default 0
    fixed_cost              cost of using the vehicle at all, default 0
    max_duration_h          longest route in hours; empty = the shift is the only limit
    break_min               a break of this many minutes ...
    break_start, break_end  ... starting between these times; empty = anywhere in the shift
    name, depot_name        for display only

Every distinct coordinate (depot or stop) becomes one location. Inside the Problem, weight is in
grams, volume in cm3 (1 l = 1000 cm3), times in seconds since midnight of the plan's date.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import routing
from dispatch.csv_rows import SECONDS_PER_DAY, CsvRow, PlanInputError, RowProblem, read_csv_rows
from dispatch.plan_input import OrderRow, PlanInput, VehicleRow, build_plan_input
from routing.matrix import MatrixProvider

ORDER_REQUIRED = ("order_id", "lat", "lng")
ORDER_OPTIONAL = (
    "window_start",
    "window_end",
    "window2_start",
    "window2_end",
    "service_min",
    "weight_kg",
    "volume_l",
    "parcels",
    "skills",
    "priority",
    "kind",
    "goods_class",
    "vehicles",
    "name",
    "address",
)
VEHICLE_REQUIRED = ("vehicle_id", "depot_lat", "depot_lng", "shift_start", "shift_end")
VEHICLE_OPTIONAL = (
    "end_lat",
    "end_lng",
    "capacity_kg",
    "capacity_l",
    "capacity_parcels",
    "skills",
    "speed_kmh",
    "cost_per_km",
    "cost_per_hour",
    "fixed_cost",
    "max_duration_h",
    "break_start",
    "break_end",
    "break_min",
    "name",
    "depot_name",
)
DEFAULT_SERVICE_MIN = 5.0
DEFAULT_SPEED_KMH = 30.0


def read_plan_files(
    orders_path: Path,
    vehicles_path: Path,
    *,
    provider: MatrixProvider | None = None,
    detour_factor: float = 1.3,
) -> PlanInput:
    """Parse and check both files completely, then build the Problem.

    Raises PlanInputError listing every problem found, as `FILE:ROW: field 'x': why`.
    """
    orders_name, vehicles_name = str(orders_path), str(vehicles_path)
    problems: list[RowProblem] = []
    warnings: list[str] = []
    orders = _read_orders(orders_path, orders_name, problems, warnings)
    vehicles = _read_vehicles(vehicles_path, vehicles_name, problems, warnings)
    known_vehicles = {v.vehicle_id for v in vehicles}
    for order in orders:
        for vehicle_id in sorted((order.vehicles or frozenset()) - known_vehicles):
            problems.append(
                RowProblem(
                    orders_name,
                    order.line,
                    "vehicles",
                    f"unknown vehicle {vehicle_id!r} (not in {vehicles_name})",
                )
            )
    if problems:
        rank = {orders_name: 0, vehicles_name: 1}
        problems.sort(key=lambda p: (rank.get(p.file, 2), p.row or 0))
        raise PlanInputError(problems)
    try:
        return build_plan_input(
            orders, vehicles, provider=provider, detour_factor=detour_factor, warnings=warnings
        )
    except routing.InvalidProblem as exc:
        # A combination the row checks do not catch; still the input's fault, not the solver's.
        raise PlanInputError(
            [RowProblem(f"{orders_name} + {vehicles_name}", None, None, str(exc))]
        ) from exc


def _read_orders(
    path: Path, name: str, problems: list[RowProblem], warnings: list[str]
) -> list[OrderRow]:
    orders: list[OrderRow] = []
    first_line: dict[str, int] = {}
    rows = read_csv_rows(
        path,
        display_name=name,
        required=ORDER_REQUIRED,
        optional=ORDER_OPTIONAL,
        problems=problems,
        warnings=warnings,
    )
    for row in rows:
        order = _order_from(row)
        _refuse_duplicate_id(row, "order_id", first_line)
        if order is not None and row.ok:
            orders.append(order)
    if not orders and not any(p.file == name for p in problems):
        problems.append(RowProblem(name, 2, None, "the file has no order rows"))
    return orders


def _refuse_duplicate_id(row: CsvRow, field: str, first_line: dict[str, int]) -> None:
    """Fail the row if its id was already used; remember where each id first appeared."""
    value = row.text(field)
    if value in first_line:
        row.fail(field, f"duplicate id {value!r} (first on row {first_line[value]})")
    elif value:
        first_line[value] = row.line


def _order_from(row: CsvRow) -> OrderRow | None:
    order_id = row.required_text("order_id")
    lat = row.real("lat", low=-90, high=90)
    lng = row.real("lng", low=-180, high=180)
    windows = _windows(row, ("window_start", "window_end"), ("window2_start", "window2_end"))
    service_min = row.real("service_min", DEFAULT_SERVICE_MIN, low=0)
    weight_kg = row.real("weight_kg", 0.0, low=0)
    volume_l = row.real("volume_l", 0.0, low=0)
    parcels = row.integer("parcels", 1, low=0)
    priority = row.integer("priority", 0, low=0)
    kind_text = row.text("kind").lower() or routing.VisitKind.DELIVERY.value
    kinds = {k.value for k in routing.VisitKind}
    if kind_text not in kinds:
        choices = " or ".join(sorted(kinds))
        row.fail("kind", f"unknown kind {row.text('kind')!r}; use {choices}")
    if not row.ok:
        return None
    vehicles = row.id_list("vehicles")
    return OrderRow(
        order_id=order_id,
        line=row.line,
        lat=lat,
        lng=lng,
        windows=windows,
        service_s=round(service_min * 60),
        weight_g=round(weight_kg * 1000),
        volume_cm3=round(volume_l * 1000),
        parcels=parcels,
        skills=row.names("skills"),
        priority=priority,
        kind=routing.VisitKind(kind_text),
        goods_class=row.text("goods_class") or None,
        vehicles=vehicles or None,
        name=row.text("name"),
        address=row.text("address"),
    )


def _windows(row: CsvRow, *pairs: tuple[str, str]) -> tuple[routing.TimeWindow, ...]:
    windows: list[tuple[routing.TimeWindow, str]] = []
    for start_field, end_field in pairs:
        window = _window(row, start_field, end_field)
        if window is not None:
            windows.append((window, start_field))
    windows.sort(key=lambda w: w[0].start_s)
    for (earlier, _), (later, later_field) in itertools.pairwise(windows):
        if later.start_s <= earlier.end_s:
            row.fail(later_field, "the two time windows overlap; merge them into one")
    return tuple(w for w, _ in windows)


def _window(row: CsvRow, start_field: str, end_field: str) -> routing.TimeWindow | None:
    if not row.has(start_field) and not row.has(end_field):
        return None
    start = row.clock(start_field)
    end = row.clock(end_field)
    if (row.has(start_field) and start is None) or (row.has(end_field) and end is None):
        return None
    start_s = 0 if start is None else start
    end_s = SECONDS_PER_DAY if end is None else end
    if end_s < start_s:
        row.fail(
            end_field,
            f"window ends at {row.text(end_field)}, before it starts at {row.text(start_field)}",
        )
        return None
    return routing.TimeWindow(start_s, end_s)


def _read_vehicles(
    path: Path, name: str, problems: list[RowProblem], warnings: list[str]
) -> list[VehicleRow]:
    vehicles: list[VehicleRow] = []
    first_line: dict[str, int] = {}
    rows = read_csv_rows(
        path,
        display_name=name,
        required=VEHICLE_REQUIRED,
        optional=VEHICLE_OPTIONAL,
        problems=problems,
        warnings=warnings,
    )
    for row in rows:
        vehicle = _vehicle_from(row)
        _refuse_duplicate_id(row, "vehicle_id", first_line)
        if vehicle is not None and row.ok:
            vehicles.append(vehicle)
    if not vehicles and not any(p.file == name for p in problems):
        problems.append(RowProblem(name, 2, None, "the file has no vehicle rows"))
    return vehicles


def _vehicle_from(row: CsvRow) -> VehicleRow | None:
    vehicle_id = row.required_text("vehicle_id")
    depot_lat = row.real("depot_lat", low=-90, high=90)
    depot_lng = row.real("depot_lng", low=-180, high=180)
    end_lat = row.optional_real("end_lat", low=-90, high=90)
    end_lng = row.optional_real("end_lng", low=-180, high=180)
    for present, missing in (("end_lat", "end_lng"), ("end_lng", "end_lat")):
        if row.has(present) and not row.has(missing):
            row.fail(missing, f"is required when {present} is given")
    shift = _shift(row)
    capacity_kg = row.optional_real("capacity_kg", low=0)
    capacity_l = row.optional_real("capacity_l", low=0)
    capacity_parcels = row.optional_integer("capacity_parcels", low=0)
    speed_kmh = row.real("speed_kmh", DEFAULT_SPEED_KMH, positive=True)
    cost_per_km = row.real("cost_per_km", 1.0, low=0)
    cost_per_hour = row.real("cost_per_hour", 0.0, low=0)
    fixed_cost = row.real("fixed_cost", 0.0, low=0)
    max_duration_h = row.optional_real("max_duration_h", positive=True)
    breaks = _breaks(row, shift)
    if not row.ok or shift is None:
        return None
    return VehicleRow(
        vehicle_id=vehicle_id,
        line=row.line,
        depot_lat=depot_lat,
        depot_lng=depot_lng,
        end_lat=end_lat,
        end_lng=end_lng,
        shift=shift,
        capacity_g=None if capacity_kg is None else round(capacity_kg * 1000),
        capacity_cm3=None if capacity_l is None else round(capacity_l * 1000),
        capacity_parcels=capacity_parcels,
        skills=row.names("skills"),
        speed_kmh=speed_kmh,
        cost_per_km=cost_per_km,
        cost_per_hour=cost_per_hour,
        fixed_cost=fixed_cost,
        max_duration_s=None if max_duration_h is None else round(max_duration_h * 3600),
        breaks=breaks,
        name=row.text("name"),
        depot_name=row.text("depot_name"),
    )


def _shift(row: CsvRow) -> routing.TimeWindow | None:
    start = row.clock("shift_start")
    end = row.clock("shift_end")
    for field, value in (("shift_start", start), ("shift_end", end)):
        if value is None and not row.has(field):
            row.fail(field, "is required")
    if start is None or end is None:
        return None
    if end <= start:
        row.fail(
            "shift_end",
            f"shift ends at {row.text('shift_end')}, not after it starts at "
            f"{row.text('shift_start')}",
        )
        return None
    return routing.TimeWindow(start, end)


def _breaks(row: CsvRow, shift: routing.TimeWindow | None) -> tuple[routing.Break, ...]:
    if not any(row.has(f) for f in ("break_min", "break_start", "break_end")):
        return ()
    if not row.has("break_min"):
        row.fail("break_min", "is required when break_start or break_end is given")
        return ()
    minutes = row.real("break_min", positive=True)
    window = _window(row, "break_start", "break_end")
    if not row.ok or shift is None:
        return ()
    if window is None:
        return (routing.Break(round(minutes * 60), shift),)
    # An open end of the break window means the shift's own start or end.
    start_s = max(window.start_s, shift.start_s) if row.has("break_start") else shift.start_s
    end_s = min(window.end_s, shift.end_s) if row.has("break_end") else shift.end_s
    if end_s < start_s:
        row.fail("break_start", "the break window lies outside the shift")
        return ()
    return (routing.Break(round(minutes * 60), routing.TimeWindow(start_s, end_s)),)
