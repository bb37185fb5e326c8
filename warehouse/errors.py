"""Refusals about stock, storage, holds, inspections and the departure gate."""

from __future__ import annotations

from infra.errors import Conflict, Invalid, NotFound


class ZoneNotFound(NotFound):
    code = "storage_zone_not_found"


class ZoneCodeTaken(Conflict):
    code = "storage_zone_code_taken"


class BatchNotFound(NotFound):
    code = "batch_not_found"


class InvalidBatch(Invalid):
    code = "invalid_batch"


class LotAlreadyReceived(Conflict):
    code = "lot_already_received"


class WrongStorageMode(Conflict):
    """The batch needs another storage mode than the zone offers."""

    code = "wrong_storage_mode"


class IncompatibleNeighbour(Conflict):
    """The zone already holds goods of a group the batch must not sit next to."""

    code = "incompatible_neighbour"


class InsufficientStock(Conflict):
    code = "insufficient_stock"


class OrderNotAllocatable(Conflict):
    code = "order_not_allocatable"


class HoldNotFound(NotFound):
    code = "hold_not_found"


class HoldNotActive(Conflict):
    """Only an active hold can be released or closed; closed holds are history."""

    code = "hold_not_active"


class InvalidReturn(Invalid):
    code = "invalid_return"


class InvalidReadings(Invalid):
    code = "invalid_readings"


class TemplateInvalid(Invalid):
    code = "invalid_inspection_template"


class InvalidInspection(Invalid):
    code = "invalid_inspection"


class NoShiftForVehicle(NotFound):
    """Nobody has a shift in this vehicle that day (for a courier: not in their shift)."""

    code = "no_shift_for_vehicle"


class InspectionNotFound(NotFound):
    code = "inspection_not_found"


class InspectionMissing(Conflict):
    code = "inspection_missing"


class InspectionFailed(Conflict):
    code = "inspection_failed"


class RouteHasHeldItems(Conflict):
    code = "route_has_held_items"


class PlanNotPublished(Conflict):
    code = "plan_not_published"


class RouteAlreadyDeparted(Conflict):
    code = "route_already_departed"
