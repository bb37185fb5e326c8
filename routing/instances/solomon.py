"""Solomon and Gehring & Homberger VRPTW files, and their best-known values, as routing Problems.

Distances follow the DIMACS 2021 convention: every arc is the Euclidean distance truncated to one
decimal, and the same value is the travel time. Everything is multiplied by SCALE = 10 so it stays
an integer: an arc is isqrt(100 * (dx^2 + dy^2)), and a plan's `distance_m / SCALE` compares
directly with `bks_distance`. The matrix fields are named in metres and seconds, but here they
hold tenths of the file's units.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from routing.problem import Problem, TimeWindow, TravelMatrix, Vehicle, Visit

SCALE = 10
PROFILE = "car"
# Distance is the whole objective: no fixed cost and no time cost.
COST_PER_KM = 1.0


@dataclass(frozen=True, slots=True)
class SolomonInstance:
    name: str
    n_vehicles: int
    capacity: int
    problem: Problem

    @property
    def instance_class(self) -> str:
        return instance_class(self.name)


@dataclass(frozen=True, slots=True)
class BestKnown:
    """One row of bks.csv; distances in the file's own units (not scaled)."""

    instance: str
    set: str
    instance_class: str
    bks_distance: float  # DIMACS convention, distance only
    bks_optimal: bool
    bks_vehicles: int | None  # Solomon only
    hier_vehicles: int  # fewest vehicles first, then distance (double precision)
    hier_distance: float


def instance_class(name: str) -> str:
    """C101 -> C1, RC208 -> RC2, R1_2_10 -> R1."""
    match = re.fullmatch(r"(RC|R|C)([12])(?:\d\d|_\d+_\d+)", name.upper())
    if match is None:
        raise ValueError(f"{name!r} is not a Solomon or Homberger instance name")
    return match.group(1) + match.group(2)


def solomon_arcs(x: npt.ArrayLike, y: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """isqrt(100 * (dx^2 + dy^2)) for every pair: the truncated distance times ten, exactly."""
    xs = np.asarray(x, dtype=np.int64)
    ys = np.asarray(y, dtype=np.int64)
    dx = xs[:, None] - xs[None, :]
    dy = ys[:, None] - ys[None, :]
    squared = 100 * (dx * dx + dy * dy)
    root = np.floor(np.sqrt(squared.astype(np.float64))).astype(np.int64)
    # The float root may be one off near perfect squares; settle it in integers.
    root -= root * root > squared
    root += (root + 1) * (root + 1) <= squared
    return root


def parse_solomon(text: str, name: str | None = None) -> SolomonInstance:
    """Parse the text of one instance file (CRLF or LF); `name` defaults to its first line."""
    lines = [line.strip() for line in text.splitlines()]
    non_blank = [line for line in lines if line]
    if not non_blank:
        raise ValueError("empty instance file")
    name = name or non_blank[0]
    try:
        header = next(i for i, line in enumerate(non_blank) if line.upper().startswith("NUMBER"))
        n_vehicles, capacity = (int(field) for field in non_blank[header + 1].split())
    except (StopIteration, ValueError, IndexError):
        raise ValueError(f"{name}: no 'NUMBER CAPACITY' line followed by two integers") from None

    rows: list[list[int]] = []
    for line in non_blank[header + 2 :]:
        fields = line.split()
        if len(fields) == 7 and all(_is_int(f) for f in fields):
            rows.append([int(f) for f in fields])
    if not rows or rows[0][0] != 0:
        raise ValueError(f"{name}: the first node row must be the depot, number 0")
    if [row[0] for row in rows] != list(range(len(rows))):
        raise ValueError(f"{name}: node numbers must run 0, 1, 2, ... without gaps")

    data = np.asarray(rows, dtype=np.int64)
    arcs = solomon_arcs(data[:, 1], data[:, 2])
    depot = rows[0]
    shift = TimeWindow(depot[4] * SCALE, depot[5] * SCALE)
    visits = tuple(
        Visit(
            id=str(node),
            location=node,
            service_s=service * SCALE,
            windows=(TimeWindow(ready * SCALE, due * SCALE),),
            demand=(demand,),
        )
        for node, _x, _y, demand, ready, due, service in rows[1:]
    )
    vehicles = tuple(
        Vehicle(
            id=f"v{k + 1}",
            start_location=0,
            end_location=0,
            shift=shift,
            capacity=(capacity,),
            profile=PROFILE,
            cost_per_km=COST_PER_KM,
            cost_per_hour=0.0,
            fixed_cost=0.0,
        )
        for k in range(n_vehicles)
    )
    problem = Problem(
        visits=visits,
        vehicles=vehicles,
        matrices={PROFILE: TravelMatrix(distance_m=arcs, duration_s=arcs.copy())},
        dimensions=("demand",),
        location_names=("depot", *(v.id for v in visits)),
    )
    return SolomonInstance(name=name, n_vehicles=n_vehicles, capacity=capacity, problem=problem)


def read_solomon(path: Path | str) -> SolomonInstance:
    """Read one instance file; the instance is named after the file (C101.txt -> C101)."""
    path = Path(path)
    return parse_solomon(path.read_text(encoding="ascii"), name=path.stem.upper())


def read_bks(path: Path | str) -> dict[str, BestKnown]:
    """bks.csv keyed by upper-case instance name."""
    result: dict[str, BestKnown] = {}
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = row["instance"].strip().upper()
            result[name] = BestKnown(
                instance=name,
                set=row["set"].strip(),
                instance_class=row["class"].strip(),
                bks_distance=float(row["bks_distance"]),
                bks_optimal=row["bks_optimal"].strip() == "1",
                bks_vehicles=int(row["bks_vehicles"]) if row["bks_vehicles"].strip() else None,
                hier_vehicles=int(row["hier_vehicles"]),
                hier_distance=float(row["hier_distance"]),
            )
    return result


def _is_int(field: str) -> bool:
    return field.lstrip("-").isdigit()
