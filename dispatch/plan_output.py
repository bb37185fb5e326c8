"""The files a file plan produces: plan.json, routes.csv and map.html, written all or nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import routing
from dispatch.plan_map import (
    OSM_ATTRIBUTION,
    OSM_TILES,
    MapPoint,
    MapRoute,
    MapUnserved,
    PlanMapView,
    render_plan_map,
)
from dispatch.plan_report import (
    Load,
    PlanReport,
    ReportedRoute,
    ReportedVisit,
    format_clock,
    format_hhmm,
    format_windows,
    kg,
    km,
    litres,
)

PLAN_JSON = "plan.json"
ROUTES_CSV = "routes.csv"
MAP_HTML = "map.html"
ROUTES_CSV_COLUMNS = (
    "vehicle_id",
    "seq",
    "order_id",
    "name",
    "address",
    "kind",
    "lat",
    "lng",
    "windows",
    "arrival",
    "wait",
    "service_start",
    "departure",
    "load_after_kg",
    "load_after_l",
    "load_after_parcels",
    "distance_km",
)


def plan_json(report: PlanReport) -> dict[str, Any]:
    """The plan as a JSON document: times HH:MM:SS on `date`, distances in km, loads in kg and l."""
    return {
        "date": report.date.isoformat(),
        "inputs": {"orders": report.orders_file, "vehicles": report.vehicles_file},
        "units": {
            "time": "HH:MM:SS local time on date",
            "duration": "HH:MM:SS",
            "distance": "km",
            "weight": "kg",
            "volume": "l",
        },
        "solver": {
            "status": report.solver_status,
            "time_limit_s": report.time_limit_s,
            "wall_time_s": round(report.wall_time_s, 3),
        },
        "totals": {
            "orders": report.order_count,
            "served": report.served_count,
            "unserved": len(report.unserved),
            "vehicles": report.vehicle_count,
            "vehicles_used": len(report.routes),
            "distance_km": km(report.distance_m),
            "route_duration": format_clock(sum(r.duration_s for r in report.routes)),
            "cost": round(report.cost, 2),
        },
        "routes": [_route_json(route) for route in report.routes],
        "unserved": [
            {
                "order_id": u.order_id,
                "name": u.name,
                "address": u.address,
                "lat": u.lat,
                "lng": u.lng,
                "windows": _windows_json(u.windows),
                "reason": u.reason,
                "text": u.text,
            }
            for u in report.unserved
        ],
        "validation": {
            "ok": report.valid,
            "violations": [
                {
                    "code": v.code,
                    "text": v.text,
                    "vehicle_id": v.vehicle_id,
                    "order_id": v.order_id,
                }
                for v in report.violations
            ],
        },
        "warnings": list(report.warnings),
    }


def routes_csv(report: PlanReport) -> str:
    """One row per planned visit, in route order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ROUTES_CSV_COLUMNS)
    for route in report.routes:
        for visit in route.visits:
            writer.writerow(
                [
                    route.vehicle_id,
                    visit.seq,
                    visit.order_id,
                    visit.name,
                    visit.address,
                    visit.kind,
                    visit.lat,
                    visit.lng,
                    format_windows(visit.windows),
                    format_clock(visit.arrival_s),
                    format_clock(visit.wait_s),
                    format_clock(visit.service_start_s),
                    format_clock(visit.departure_s),
                    kg(visit.load_after.weight_g),
                    litres(visit.load_after.volume_cm3),
                    visit.load_after.parcels,
                    km(visit.distance_m),
                ]
            )
    return buffer.getvalue()


def map_view(report: PlanReport) -> PlanMapView:
    depots = tuple(MapPoint(d.lat, d.lng, "D", d.name) for d in report.depots)
    routes = []
    for route in report.routes:
        routes.append(
            MapRoute(
                name=route.vehicle_id,
                summary=_route_summary(route),
                start=(route.start.lat, route.start.lng),
                stops=tuple(_stop_point(route.vehicle_id, v) for v in route.visits),
                end=None if route.end is None else (route.end.lat, route.end.lng),
            )
        )
    unserved = tuple(
        MapUnserved(u.lat, u.lng, f"{u.order_id} {u.name}".strip(), u.text) for u in report.unserved
    )
    title = f"Plan for {report.date.isoformat()}: {report.served_count} of {report.order_count} "
    title += f"orders on {len(report.routes)} routes"
    return PlanMapView(title, tuple(routes), depots, unserved)


def render_outputs(
    report: PlanReport, *, tiles: str | None = OSM_TILES, attribution: str = OSM_ATTRIBUTION
) -> dict[str, str]:
    """File name to content, for every output file."""
    return {
        PLAN_JSON: json.dumps(plan_json(report), indent=2, ensure_ascii=False) + "\n",
        ROUTES_CSV: routes_csv(report),
        MAP_HTML: render_plan_map(map_view(report), tiles=tiles, attribution=attribution),
    }


def write_outputs(out_dir: Path, files: Mapping[str, str]) -> None:
    """Write every file into a temporary directory next to `out_dir`, then move them in.

    A failure while writing leaves `out_dir` untouched; existing files of the same names are
    replaced, other files in `out_dir` are left alone.
    """
    parent = out_dir.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    # Same filesystem as out_dir, so the final moves are renames.
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=parent))
    try:
        for name, content in files.items():
            (staging / name).write_text(content, encoding="utf-8")
        out_dir.mkdir(exist_ok=True)
        for name in files:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _route_json(route: ReportedRoute) -> dict[str, Any]:
    return {
        "vehicle_id": route.vehicle_id,
        "vehicle_name": route.vehicle_name,
        "start_depot": {"name": route.start.name, "lat": route.start.lat, "lng": route.start.lng},
        "end_depot": None
        if route.end is None
        else {"name": route.end.name, "lat": route.end.lat, "lng": route.end.lng},
        "start": format_clock(route.start_s),
        "end": format_clock(route.end_s),
        "duration": format_clock(route.duration_s),
        "distance_km": km(route.distance_m),
        "cost": round(route.cost, 2),
        "stops": len(route.visits),
        "load_at_start": _load_json(route.load_at_start),
        "breaks": [
            {"start": format_clock(b.start_s), "duration": format_clock(b.duration_s)}
            for b in route.breaks
        ],
        "visits": [_visit_json(v) for v in route.visits],
    }


def _visit_json(visit: ReportedVisit) -> dict[str, Any]:
    return {
        "seq": visit.seq,
        "order_id": visit.order_id,
        "name": visit.name,
        "address": visit.address,
        "kind": visit.kind,
        "lat": visit.lat,
        "lng": visit.lng,
        "windows": _windows_json(visit.windows),
        "arrival": format_clock(visit.arrival_s),
        "wait": format_clock(visit.wait_s),
        "service_start": format_clock(visit.service_start_s),
        "departure": format_clock(visit.departure_s),
        "load_after": _load_json(visit.load_after),
        "distance_km": km(visit.distance_m),
    }


def _windows_json(windows: Sequence[routing.TimeWindow]) -> list[dict[str, str]]:
    return [{"start": format_clock(w.start_s), "end": format_clock(w.end_s)} for w in windows]


def _load_json(load: Load) -> dict[str, float | int]:
    return {
        "weight_kg": kg(load.weight_g),
        "volume_l": litres(load.volume_cm3),
        "parcels": load.parcels,
    }


def _route_summary(route: ReportedRoute) -> str:
    return (
        f"{len(route.visits)} stops, {km(route.distance_m):.1f} km, "
        f"{format_hhmm(route.start_s)}-{format_hhmm(route.end_s)}"
    )


def _stop_point(vehicle_id: str, visit: ReportedVisit) -> MapPoint:
    lines = [
        f"{visit.order_id} {visit.name}".strip(),
        visit.address,
        f"{vehicle_id}, stop {visit.seq} ({visit.kind})",
        f"window: {format_windows(visit.windows)}",
        f"arrival: {format_hhmm(visit.arrival_s)}"
        + (f" (waits {visit.wait_s // 60} min)" if visit.wait_s >= 60 else ""),
        f"departure: {format_hhmm(visit.departure_s)}",
    ]
    return MapPoint(visit.lat, visit.lng, str(visit.seq), "\n".join(line for line in lines if line))
