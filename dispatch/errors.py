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
