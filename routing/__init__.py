"""Vehicle-routing core: plain Python and OR-Tools, importing nothing else from this project."""

from routing.problem import (
    Break,
    Incompatibility,
    InvalidProblem,
    PickupDelivery,
    Problem,
    TimeWindow,
    TravelMatrix,
    Vehicle,
    Visit,
    VisitKind,
)
from routing.solution import (
    Arrival,
    BreakTaken,
    Solution,
    Tour,
    Unassigned,
    UnassignedReason,
)

__all__ = [
    "Arrival",
    "Break",
    "BreakTaken",
    "Incompatibility",
    "InvalidProblem",
    "PickupDelivery",
    "Problem",
    "Solution",
    "TimeWindow",
    "Tour",
    "TravelMatrix",
    "Unassigned",
    "UnassignedReason",
    "Vehicle",
    "Visit",
    "VisitKind",
]
