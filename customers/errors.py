"""Refusals on the customer side, each with a stable code."""

from __future__ import annotations

from typing import ClassVar

from infra.errors import Conflict, NotFound


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
