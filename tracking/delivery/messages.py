"""The customer-facing text of each template: a short e-mail subject and a plain-text body."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tracking import notifications

_FAILURE_TEXT = {
    "not_at_home": "nobody was at home",
    "address_not_found": "the courier could not find the address",
    "refused": "the delivery was refused",
    "damaged": "the parcel was damaged",
    "no_access": "the courier could not get to the door",
}


class TemplateError(Exception):
    """A row whose template is unknown or whose payload lacks what its text needs."""


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str


@dataclass(frozen=True, slots=True)
class Message:
    """One outbox row as a channel sends it. `outbox_id` is its idempotency key: a receiver
    seeing the same id twice (a resend after a sender died) drops the second copy."""

    outbox_id: int
    channel: str
    recipient: str
    template_code: str
    payload: Mapping[str, Any]
    order_id: int | None
    created_at: datetime
    subject: str
    text: str


@dataclass(frozen=True, slots=True)
class _Context:
    payload: Mapping[str, Any]
    zone: ZoneInfo

    @property
    def order(self) -> str:
        reference = self.payload.get("reference") or self.payload["tracking_code"]
        return f"your order {reference}"

    @property
    def day(self) -> str:
        day = date.fromisoformat(self.payload["service_date"])
        return f"{day:%A} {day.day} {day:%B}"

    def window(self, key: str) -> str | None:
        window = notifications.window_of_json(self.payload.get(key))
        if window is None:
            return None
        start, end = (t.astimezone(self.zone).strftime("%H:%M") for t in window)
        return f"at about {start}" if start == end else f"between {start} and {end}"

    def time(self, key: str) -> str:
        return "at about " + datetime.fromisoformat(self.payload[key]).astimezone(
            self.zone
        ).strftime("%H:%M")


def _plan_published(c: _Context) -> Rendered:
    when = c.window("window")
    return Rendered(
        f"Your delivery on {c.day}" + (f", {when}" if when else ""),
        f"Hello, {c.order} is planned for delivery on {c.day}"
        + (f" {when}." if when else ". We will tell you when it is on its way."),
    )


def _eta_changed(c: _Context) -> Rendered:
    if "new_window" in c.payload:
        now, before = c.window("new_window"), c.window("old_window")
    else:
        # Written by replans as single expected times.
        now, before = c.time("eta_after"), c.time("eta_before")
    return Rendered(
        "New delivery time for your order",
        f"Hello, the expected delivery time of {c.order} has changed: now {now} "
        f"(before: {before}).",
    )


def _failed(c: _Context) -> Rendered:
    why = _FAILURE_TEXT.get(str(c.payload.get("failure_reason")))
    return Rendered(
        "We could not deliver your order",
        f"Hello, we could not deliver {c.order} today"
        + (f": {why}." if why else ".")
        + " You can choose a new time or a pickup point on your tracking page.",
    )


def _compensation(c: _Context) -> Rendered:
    if c.payload.get("discount_code"):
        amount = int(c.payload.get("amount_cents") or 0) / 100
        what = f"a discount code worth {amount:.2f}: {c.payload['discount_code']}"
    else:
        what = f"{int(c.payload.get('points') or 0)} bonus points"
    why = c.payload.get("reason")
    return Rendered(
        "We are sorry: a compensation for your order",
        f"Hello, we did not keep our promise for {c.order}"
        + (f" ({why})" if why else "")
        + f". As an apology you receive {what}.",
    )


def _redelivery(c: _Context) -> Rendered:
    when = c.window("window")
    return Rendered(
        "Your new delivery time",
        f"Hello, we will bring {c.order} again on {c.day}" + (f", {when}." if when else "."),
    )


def _complaint_answered(c: _Context) -> Rendered:
    answer = c.payload.get("response")
    return Rendered(
        "An answer to your complaint",
        f"Hello, we answered your complaint about {c.order}"
        + (f": {answer}" if answer else ".")
        + " You can read it on your tracking page.",
    )


_TEMPLATES: Mapping[str, Callable[[_Context], Rendered]] = {
    notifications.PLAN_PUBLISHED: _plan_published,
    notifications.OUT_FOR_DELIVERY: lambda c: Rendered(
        "Your order is on its way",
        f"Hello, {c.order} has left our depot and will be delivered today.",
    ),
    notifications.ETA_CHANGED: _eta_changed,
    notifications.COURIER_ON_THE_WAY: lambda c: Rendered(
        "Your courier is on the way",
        f"Hello, the courier is now heading to you with {c.order}.",
    ),
    notifications.DELIVERED: lambda c: Rendered(
        "Your order was delivered",
        f"Hello, {c.order} was delivered. Thank you! You can rate the delivery on your "
        "tracking page.",
    ),
    notifications.DELIVERY_FAILED: _failed,
    notifications.PICKED_UP: lambda c: Rendered(
        "Your return was picked up",
        f"Hello, the courier picked up {c.order}. Thank you!",
    ),
    # The hold's reason is warehouse language (lots, temperature readings); the customer
    # learns only what it means for them.
    notifications.HELD: lambda c: Rendered(
        "Your delivery is delayed",
        f"Hello, {c.order} cannot leave our depot as planned: an item is held back for a "
        "quality check. We will tell you as soon as it is on its way.",
    ),
    notifications.COMPLAINT_ANSWERED: _complaint_answered,
    notifications.RETURN_SCHEDULED: lambda c: Rendered(
        "We will pick up your return",
        f"Hello, a courier will collect the goods of {c.order} on {c.day}. "
        "We will tell you when the pickup is planned.",
    ),
    notifications.COMPENSATION_ISSUED: _compensation,
    notifications.REDELIVERY_BOOKED: _redelivery,
    notifications.COLLECTION_CHOSEN: lambda c: Rendered(
        "Your order waits for you",
        f"Hello, {c.order} waits for you at {c.payload.get('pickup_point', 'our depot')}"
        + (f", {c.payload['address']}" if c.payload.get("address") else "")
        + ". Bring your tracking code.",
    ),
}


def render(
    template_code: str, payload: Mapping[str, Any], *, zone: ZoneInfo, public_url: str | None
) -> Rendered:
    """The message's subject and text; times in `zone`, with a tracking link when the public
    URL is known. Raises TemplateError."""
    template = _TEMPLATES.get(template_code)
    if template is None:
        raise TemplateError(f"no text for template {template_code!r}")
    try:
        rendered = template(_Context(payload, zone))
    except (KeyError, TypeError, ValueError) as exc:
        raise TemplateError(
            f"the payload of a {template_code!r} message is unusable: {exc!r}"
        ) from exc
    code = payload.get("tracking_code")
    if public_url and code:
        link = f"{public_url.rstrip('/')}/track/{code}"
        rendered = Rendered(rendered.subject, f"{rendered.text}\n\nFollow your order: {link}")
    return rendered
