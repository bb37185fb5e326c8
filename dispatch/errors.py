"""Refusals about depots, the fleet, couriers, shifts and routes."""

from __future__ import annotations

from infra.errors import Conflict, Invalid, NotFound


class DepotNotFound(NotFound):
    code = "depot_not_found"


class DepotCodeTaken(Conflict):
    code = "depot_code_taken"


class VehicleNotFound(NotFound):
    code = "vehicle_not_found"


class VehicleCodeTaken(Conflict):
    code = "vehicle_code_taken"


class InvalidVehicle(Invalid):
    code = "invalid_vehicle"


class VehicleOutOfService(Conflict):
    code = "vehicle_out_of_service"


class VehicleAlreadyBooked(Conflict):
    code = "vehicle_already_booked"


class CourierNotFound(NotFound):
    code = "courier_not_found"


class CourierAlreadyEnlisted(Conflict):
    code = "courier_already_enlisted"


class UserNotCourier(Invalid):
    code = "user_not_courier"


class ShiftNotFound(NotFound):
    code = "shift_not_found"


class ShiftAlreadyScheduled(Conflict):
    code = "shift_already_scheduled"


class InvalidShift(Invalid):
    code = "invalid_shift"


class RouteNotFound(NotFound):
    code = "route_not_found"


class NothingToPlan(Conflict):
    code = "nothing_to_plan"


class PlanNotFound(NotFound):
    code = "plan_not_found"


class PlanJobNotFound(NotFound):
    code = "plan_job_not_found"


class PlanNotEditable(Conflict):
    """Only draft plans change; a published or superseded plan is history."""

    code = "plan_not_editable"


class InvalidMove(Invalid):
    code = "invalid_move"


class MoveInfeasible(Conflict):
    """The edited routes break a constraint; `detail` names it in words."""

    code = "move_infeasible"


class NoRouteAssigned(NotFound):
    code = "no_route_assigned"


class ReplanNotFound(NotFound):
    code = "replan_not_found"


class ReplanNotDecidable(Conflict):
    """Already decided, not finished, or overtaken by the day (stale)."""

    code = "replan_not_decidable"


class SlotNotOffered(Invalid):
    code = "slot_not_offered"
    title = "There is no such delivery slot"


class SlotUnavailable(Conflict):
    code = "slot_unavailable"
    title = "The delivery slot can no longer be promised"
