"""Vehicle-routing core: plain Python and OR-Tools, importing nothing else from this project."""

from routing.evaluate import evaluate
from routing.problem import (
    Break,
    Incompatibility,
    InvalidProblem,
    NoPlanInTime,
    PickupDelivery,
    Problem,
    TimeWindow,
    TravelMatrix,
    Vehicle,
    Visit,
    VisitKind,
)
from routing.search import PRESETS, SearchConfig
from routing.solution import (
    Arrival,
    BreakTaken,
    Solution,
    Tour,
    Unassigned,
    UnassignedReason,
)
from routing.solve import solve
from routing.validation import Violation, ViolationKind, assert_valid, validate

__all__ = [
    "PRESETS",
    "Arrival",
    "Break",
    "BreakTaken",
    "Incompatibility",
    "InvalidProblem",
    "NoPlanInTime",
    "PickupDelivery",
    "Problem",
    "SearchConfig",
    "Solution",
    "TimeWindow",
    "Tour",
    "TravelMatrix",
    "Unassigned",
    "UnassignedReason",
    "Vehicle",
    "Violation",
    "ViolationKind",
    "Visit",
    "VisitKind",
    "assert_valid",
    "evaluate",
    "solve",
    "validate",
]
