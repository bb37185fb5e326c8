"""Which vehicle may serve a visit: skills, allowed vehicles, and goods already on board."""

from __future__ import annotations

from routing.problem import Problem, VisitKind
from routing.validation.context import CheckedTour
from routing.validation.violations import Violation, ViolationKind


def check_fit(problem: Problem, checked: CheckedTour) -> list[Violation]:
    vehicle = checked.vehicle
    vid = vehicle.id
    paired_deliveries = {p.delivery_id for p in problem.pairs}
    found: list[Violation] = []
    for visit in checked.visits:
        missing = visit.skills - vehicle.skills
        if missing:
            found.append(
                Violation(
                    ViolationKind.MISSING_SKILL,
                    vid,
                    visit.id,
                    f"visit {visit.id} needs skills {sorted(missing)} that vehicle {vid} lacks",
                )
            )
        if visit.allowed_vehicles is not None and vid not in visit.allowed_vehicles:
            found.append(
                Violation(
                    ViolationKind.VEHICLE_NOT_ALLOWED,
                    vid,
                    visit.id,
                    f"visit {visit.id} is served by vehicle {vid}, but only "
                    f"{sorted(visit.allowed_vehicles)} may serve it",
                )
            )
        if visit.loaded_on is not None and visit.loaded_on != vid:
            found.append(
                Violation(
                    ViolationKind.LOADED_ON_OTHER_VEHICLE,
                    vid,
                    visit.id,
                    f"visit {visit.id} is served by vehicle {vid}, but its goods are already "
                    f"on vehicle {visit.loaded_on}",
                )
            )
        loads_at_start = visit.kind == VisitKind.DELIVERY and visit.id not in paired_deliveries
        if loads_at_start and visit.loaded_on is None and not vehicle.can_load_at_start:
            found.append(
                Violation(
                    ViolationKind.NOT_LOADED,
                    vid,
                    visit.id,
                    f"visit {visit.id} is a delivery whose goods must be loaded at the start, "
                    f"but vehicle {vid} is away from the depot and does not carry them",
                )
            )
    return found
