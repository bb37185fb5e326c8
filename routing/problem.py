"""The input of one solve: frozen, self-contained, integers with units in their names.

Times are seconds on one clock chosen by the caller (usually seconds since midnight of the
operating day); distances are metres. Locations are indices into the travel matrices, so the
solver never needs geometry: benchmark instances and real cities look the same to it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

IntMatrix = npt.NDArray[np.int64]


class InvalidProblem(ValueError):
    """The problem is malformed (not merely hard): the caller built it wrong."""


class NoPlanInTime(InvalidProblem):
    """The search used its whole time limit without finding a first plan.

    The problem may be sound and only too big for the time given; an InvalidProblem so that
    every caller that refuses a problem without a plan refuses this one too.
    """


class VisitKind(enum.StrEnum):
    DELIVERY = "delivery"  # goods leave the vehicle here; loaded at the route start
    PICKUP = "pickup"  # goods board here and ride to the route end (returns to the depot)


class Incompatibility(enum.StrEnum):
    SAME_VEHICLE = "same_vehicle"  # never on the same route, whatever the order
    ON_BOARD = "on_board"  # never on board at the same time


@dataclass(frozen=True, slots=True)
class TimeWindow:
    start_s: int
    end_s: int

    def contains(self, t_s: int) -> bool:
        return self.start_s <= t_s <= self.end_s


@dataclass(frozen=True, slots=True)
class TravelMatrix:
    """Distance and driving time between every pair of locations for one vehicle profile."""

    distance_m: IntMatrix
    duration_s: IntMatrix

    @property
    def size(self) -> int:
        return int(self.distance_m.shape[0])


@dataclass(frozen=True, slots=True)
class Visit:
    """One stop to serve: a delivery, a pickup, or one end of a pickup-and-delivery pair."""

    id: str
    location: int
    service_s: int = 0
    # Several windows are allowed ("9-11 or 14-16"); empty means any time in the vehicle's shift.
    windows: tuple[TimeWindow, ...] = ()
    # One entry per Problem.dimensions; a missing tail counts as zero.
    demand: tuple[int, ...] = ()
    kind: VisitKind = VisitKind.DELIVERY
    skills: frozenset[str] = frozenset()
    goods_class: str | None = None
    # Higher is more important; only matters when not everything fits.
    priority: int = 0
    # Explicit cost of leaving the visit unserved, in currency; None derives it from priority.
    drop_penalty: float | None = None
    # Restricts the visit to these vehicles (a parcel already loaded, a customer's favourite).
    allowed_vehicles: frozenset[str] | None = None
    # Set when the goods are already on that vehicle: no reload at a depot is needed.
    loaded_on: str | None = None
    # Replanning a day under way: a promise that can no longer be kept is better kept late than
    # not at all. Service may then start up to this long after the end of the last window, and
    # each second late costs `lateness_cost_per_hour` / 3600.
    max_lateness_s: int = 0
    lateness_cost_per_hour: float = 0.0

    @property
    def deadline_s(self) -> int | None:
        """The latest allowed start of service, lateness included; None without windows."""
        if not self.windows:
            return None
        return self.windows[-1].end_s + self.max_lateness_s

    def service_start_s(self, arrival_s: int) -> int | None:
        """When service starts after arriving at `arrival_s`: at once, or when the next window
        opens; None when it is too late even with the allowed lateness."""
        for window in self.windows:
            if arrival_s <= window.end_s:
                return max(arrival_s, window.start_s)
        deadline = self.deadline_s
        if deadline is None:
            return arrival_s
        return arrival_s if arrival_s <= deadline else None

    def lateness_s(self, service_start_s: int) -> int:
        """How far past the end of its last window service starts (0 when on time)."""
        if not self.windows:
            return 0
        return max(0, service_start_s - self.windows[-1].end_s)


@dataclass(frozen=True, slots=True)
class PickupDelivery:
    """Goods picked up at one visit and dropped at another, by the same vehicle, in that order."""

    pickup_id: str
    delivery_id: str


@dataclass(frozen=True, slots=True)
class Break:
    """A mandatory pause of `duration_s` that must start inside `window`."""

    duration_s: int
    window: TimeWindow


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One vehicle with its courier for the day (the solver does not tell them apart)."""

    id: str
    start_location: int
    # None means the route may end wherever its last visit is (the courier goes home from there).
    end_location: int | None
    shift: TimeWindow
    capacity: tuple[int, ...] = ()
    skills: frozenset[str] = frozenset()
    profile: str = "car"
    cost_per_km: float = 1.0
    cost_per_hour: float = 0.0
    fixed_cost: float = 0.0
    max_duration_s: int | None = None
    breaks: tuple[Break, ...] = ()
    # Replanning: the vehicle is free from this time on at start_location (its current position).
    ready_at_s: int | None = None
    # False when the vehicle is away from any depot: it can only deliver what it already carries.
    can_load_at_start: bool = True
    # Visits that must open the route in exactly this order (already committed to the courier).
    fixed_prefix: tuple[str, ...] = ()

    @property
    def earliest_start_s(self) -> int:
        if self.ready_at_s is None:
            return self.shift.start_s
        return max(self.shift.start_s, self.ready_at_s)


@dataclass(frozen=True, slots=True)
class Problem:
    visits: tuple[Visit, ...]
    vehicles: tuple[Vehicle, ...]
    matrices: Mapping[str, TravelMatrix]
    # Names of the capacity dimensions, e.g. ("weight_g", "volume_cm3", "parcels").
    dimensions: tuple[str, ...] = ()
    pairs: tuple[PickupDelivery, ...] = ()
    # (goods class a, goods class b, kind); symmetric.
    incompatibilities: tuple[tuple[str, str, Incompatibility], ...] = ()
    # Per-location names, only for messages and maps.
    location_names: tuple[str, ...] = ()
    _visits_by_id: dict[str, Visit] = field(init=False, repr=False, compare=False)
    _vehicles_by_id: dict[str, Vehicle] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_problem(self)
        # Frozen dataclass: the lookup tables are derived once, here.
        object.__setattr__(self, "_visits_by_id", {v.id: v for v in self.visits})
        object.__setattr__(self, "_vehicles_by_id", {v.id: v for v in self.vehicles})

    def visit(self, visit_id: str) -> Visit:
        return self._visits_by_id[visit_id]

    def vehicle(self, vehicle_id: str) -> Vehicle:
        return self._vehicles_by_id[vehicle_id]

    def demand_of(self, visit: Visit) -> tuple[int, ...]:
        """The visit's demand padded to every dimension."""
        return _pad(visit.demand, len(self.dimensions))

    def capacity_of(self, vehicle: Vehicle) -> tuple[int, ...]:
        return _pad(vehicle.capacity, len(self.dimensions))

    def pair_of(self, visit_id: str) -> PickupDelivery | None:
        for pair in self.pairs:
            if visit_id in (pair.pickup_id, pair.delivery_id):
                return pair
        return None

    def incompatible(self, class_a: str | None, class_b: str | None, kind: Incompatibility) -> bool:
        if class_a is None or class_b is None:
            return False
        return any(k == kind and {a, b} == {class_a, class_b} for a, b, k in self.incompatibilities)


def _pad(values: tuple[int, ...], length: int) -> tuple[int, ...]:
    return tuple(values) + (0,) * (length - len(values))


def check_problem(problem: Problem) -> None:
    """Raise InvalidProblem with the offending object named, or return quietly."""
    if not problem.matrices:
        raise InvalidProblem("the problem has no travel matrix")
    sizes = set()
    for profile, matrix in problem.matrices.items():
        shape = matrix.distance_m.shape
        if len(shape) != 2 or shape[0] != shape[1] or matrix.duration_s.shape != shape:
            raise InvalidProblem(f"matrix of profile {profile!r} is not square or shapes differ")
        if (matrix.distance_m < 0).any() or (matrix.duration_s < 0).any():
            raise InvalidProblem(f"matrix of profile {profile!r} has negative entries")
        sizes.add(shape[0])
    if len(sizes) != 1:
        raise InvalidProblem("all travel matrices must cover the same locations")
    n_locations = sizes.pop()
    n_dims = len(problem.dimensions)

    ids = [v.id for v in problem.visits]
    if len(set(ids)) != len(ids):
        raise InvalidProblem("visit ids are not unique")
    vehicle_ids = [v.id for v in problem.vehicles]
    if len(set(vehicle_ids)) != len(vehicle_ids):
        raise InvalidProblem("vehicle ids are not unique")
    known_vehicles = set(vehicle_ids)

    for visit in problem.visits:
        where = f"visit {visit.id}"
        if not 0 <= visit.location < n_locations:
            raise InvalidProblem(f"{where}: location {visit.location} is outside the matrix")
        if visit.service_s < 0:
            raise InvalidProblem(f"{where}: service time is negative")
        if len(visit.demand) > n_dims or any(d < 0 for d in visit.demand):
            raise InvalidProblem(f"{where}: demand must be non-negative, one per dimension")
        _check_windows(where, visit.windows)
        if visit.drop_penalty is not None and visit.drop_penalty < 0:
            raise InvalidProblem(f"{where}: drop penalty is negative")
        if visit.max_lateness_s < 0 or visit.lateness_cost_per_hour < 0:
            raise InvalidProblem(f"{where}: lateness allowance and its cost must be non-negative")
        for vid in (visit.allowed_vehicles or frozenset()) | {visit.loaded_on} - {None}:
            if vid not in known_vehicles:
                raise InvalidProblem(f"{where}: unknown vehicle {vid}")
        if visit.loaded_on is not None and visit.kind != VisitKind.DELIVERY:
            raise InvalidProblem(f"{where}: only deliveries can be already loaded")

    for vehicle in problem.vehicles:
        where = f"vehicle {vehicle.id}"
        if vehicle.profile not in problem.matrices:
            raise InvalidProblem(f"{where}: no matrix for profile {vehicle.profile!r}")
        for loc in (vehicle.start_location, vehicle.end_location):
            if loc is not None and not 0 <= loc < n_locations:
                raise InvalidProblem(f"{where}: location {loc} is outside the matrix")
        _check_windows(where, (vehicle.shift,))
        if len(vehicle.capacity) > n_dims or any(c < 0 for c in vehicle.capacity):
            raise InvalidProblem(f"{where}: capacity must be non-negative, one per dimension")
        if min(vehicle.cost_per_km, vehicle.cost_per_hour, vehicle.fixed_cost) < 0:
            raise InvalidProblem(f"{where}: costs must be non-negative")
        if vehicle.max_duration_s is not None and vehicle.max_duration_s < 0:
            raise InvalidProblem(f"{where}: maximum duration is negative")
        for brk in vehicle.breaks:
            _check_windows(f"{where} break", (brk.window,))
            if brk.duration_s < 0:
                raise InvalidProblem(f"{where}: break duration is negative")
        seen: set[str] = set()
        for visit_id in vehicle.fixed_prefix:
            if visit_id not in ids or visit_id in seen:
                raise InvalidProblem(f"{where}: fixed prefix names {visit_id} wrongly")
            seen.add(visit_id)

    prefixed = [vid for vehicle in problem.vehicles for vid in vehicle.fixed_prefix]
    if len(set(prefixed)) != len(prefixed):
        raise InvalidProblem("a visit is in the fixed prefix of two vehicles")

    by_id = {v.id: v for v in problem.visits}
    paired: set[str] = set()
    for pair in problem.pairs:
        for vid in (pair.pickup_id, pair.delivery_id):
            if vid not in by_id:
                raise InvalidProblem(f"pair names unknown visit {vid}")
            if vid in paired:
                raise InvalidProblem(f"visit {vid} is in two pickup-and-delivery pairs")
            paired.add(vid)
        if (by_id[pair.pickup_id].kind, by_id[pair.delivery_id].kind) != (
            VisitKind.PICKUP,
            VisitKind.DELIVERY,
        ):
            raise InvalidProblem(f"pair {pair.pickup_id}->{pair.delivery_id}: kinds are reversed")
        if by_id[pair.pickup_id].demand != by_id[pair.delivery_id].demand:
            raise InvalidProblem(
                f"pair {pair.pickup_id}->{pair.delivery_id}: pickup and delivery demand differ"
            )
        if by_id[pair.pickup_id].loaded_on is not None:
            raise InvalidProblem(f"pair {pair.pickup_id}: a pickup cannot be already loaded")
    for a, b, _kind in problem.incompatibilities:
        if a == b:
            raise InvalidProblem(f"goods class {a!r} cannot be incompatible with itself")


def _check_windows(where: str, windows: tuple[TimeWindow, ...]) -> None:
    previous_end: int | None = None
    for window in windows:
        if window.end_s < window.start_s:
            raise InvalidProblem(
                f"{where}: window ends ({window.end_s}s) before it starts ({window.start_s}s)"
            )
        if previous_end is not None and window.start_s <= previous_end:
            raise InvalidProblem(f"{where}: windows must be sorted and must not overlap")
        previous_end = window.end_s
