"""What every constraint family needs while the OR-Tools model is being built."""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.constraint_solver import pywrapcp

from routing.indexing import Indexer
from routing.problem import Problem


@dataclass(frozen=True, slots=True)
class Relaxation:
    """Constraint families switched off, to find which one keeps a visit off the routes."""

    capacity: bool = False
    time_windows: bool = False
    shift_duration: bool = False
    skills: bool = False
    incompatibility: bool = False


@dataclass
class ModelContext:
    problem: Problem
    indexer: Indexer
    routing: pywrapcp.RoutingModel
    relax: Relaxation = field(default_factory=Relaxation)
    # Filled by the time family; read by breaks and extraction.
    time_dimension: pywrapcp.RoutingDimension | None = None
    break_intervals: dict[int, list[pywrapcp.IntervalVar]] = field(default_factory=dict)

    @property
    def solver(self) -> pywrapcp.Solver:
        return self.routing.solver()

    def vehicle_indices(self) -> range:
        return range(len(self.problem.vehicles))
