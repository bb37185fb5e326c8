"""Refusals of order intake and order changes."""

from __future__ import annotations

from infra.errors import Conflict, Invalid, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"


class OrderNotEditable(Conflict):
    code = "order_not_editable"
    title = "The order can no longer be changed"


class InvalidOrder(Invalid):
    code = "invalid_order"
    title = "The order breaks an intake rule"


class CoordinatesRequired(Invalid):
    code = "coordinates_required"
    title = "Coordinates are required"


class AddressNotFound(Invalid):
    code = "address_not_found"
    title = "The address could not be located"


class InvalidCsv(Invalid):
    code = "invalid_csv"
    title = "The CSV file cannot be read"


class InvalidOrderRows(Invalid):
    code = "invalid_rows"
    title = "Some rows of the CSV file are invalid; no order was taken"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "The idempotency key was already used for a different request"


class IdempotencyKeyInFlight(Conflict):
    code = "idempotency_key_in_flight"
    title = "A request with this idempotency key is still being processed"
