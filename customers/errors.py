"""Refusals on the customer side, each with a stable code."""

from __future__ import annotations

from typing import ClassVar

from infra.errors import Conflict, Invalid, NotFound


class TrackingCodeUnknown(NotFound):
    """Said the same way for every code that finds nothing, so no code can be told apart."""

    code = "tracking_code_unknown"
    title = "No such tracking code"
    # The path holds the code: the body must not echo it.
    instance_in_body: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__("no order has this tracking code")


class FeedbackNotOpen(Conflict):
    code = "feedback_not_open"
    title = "Feedback opens once the order is delivered"


class FeedbackAlreadyGiven(Conflict):
    code = "feedback_already_given"
    title = "Feedback was already given for this order"


class ComplaintNotFound(NotFound):
    code = "complaint_not_found"
    title = "No such complaint"


class IllegalComplaintTransition(Conflict):
    code = "illegal_complaint_transition"
    title = "The complaint cannot move to that status"


class ComplaintOwnerUnknown(Invalid):
    code = "complaint_owner_unknown"
    title = "The owner is not an active dispatcher"


class ReturnNotFound(NotFound):
    code = "return_not_found"
    title = "No such return"


class ReturnNotAllowed(Conflict):
    code = "return_not_allowed"
    title = "This order cannot be returned now"


class ReturnNotPickedUp(Conflict):
    code = "return_not_picked_up"
    title = "The return has not been picked up yet"


class ReturnAlreadyReceived(Conflict):
    code = "return_already_received"
    title = "The return was already received"


class CompensationNotFound(NotFound):
    code = "compensation_not_found"
    title = "No such compensation"


class CompensationAlreadyVoided(Conflict):
    code = "compensation_already_voided"
    title = "The compensation was already voided"


class RedeliveryNotOpen(Conflict):
    code = "redelivery_not_open"
    title = "A new window or a pickup point can be chosen only after a failed attempt"


class PickupPointUnknown(Invalid):
    code = "pickup_point_unknown"
    title = "No such pickup point"


class CollectionNotWaiting(Conflict):
    code = "collection_not_waiting"
    title = "The order is not waiting for collection"
