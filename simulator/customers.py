"""The customers: after a delivery some rate it and a few complain, by tracking code as the
tracking page does, a while after the parcel arrived. Compensation needs nothing from them:
the server issues it from the stop events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from infra.models import ComplaintCategory
from simulator.client import ApiClient
from simulator.courier import CourierAgent
from simulator.day_model import Outcome
from simulator.dispatcher import Dispatcher
from simulator.noise import NoiseModel

_TEXTS = {
    ComplaintCategory.LATE: "The parcel came long after the promised time.",
    ComplaintCategory.DAMAGED: "The box was crushed and the goods inside are broken.",
}


@dataclass(frozen=True, slots=True)
class Reaction:
    at: datetime
    order_id: int
    rating: int | None = None
    category: ComplaintCategory | None = None


@dataclass
class Customers:
    """Everyone with a tracking code; `codes` by order id."""

    api: ApiClient
    noise: NoiseModel
    codes: dict[int, str]
    ratings: dict[int, int] = field(default_factory=dict)
    complaints: dict[int, ComplaintCategory] = field(default_factory=dict)
    _pending: list[Reaction] = field(default_factory=list)
    _noticed: set[int] = field(default_factory=set)

    @property
    def waiting(self) -> bool:
        """Some customer still means to rate or complain."""
        return bool(self._pending)

    def notice(self, outcomes: Iterable[Outcome]) -> None:
        """What each new delivery will make its customer do, and when."""
        for outcome in outcomes:
            if outcome.order_id in self._noticed or not outcome.delivered:
                continue
            self._noticed.add(outcome.order_id)
            rated = self.noise.feedback(outcome.order_id, outcome.late_s)
            if rated is not None:
                after_min, rating = rated
                at = outcome.done_at + timedelta(minutes=after_min)
                self._pending.append(Reaction(at, outcome.order_id, rating=rating))
            complained = self.noise.complaint(outcome.order_id, outcome.late_s)
            if complained is not None:
                after_min, category = complained
                at = outcome.done_at + timedelta(minutes=after_min)
                self._pending.append(Reaction(at, outcome.order_id, category=category))

    def act(self, now: datetime) -> None:
        """Sends the reactions due by `now`."""
        due = [r for r in self._pending if r.at <= now]
        self._pending = [r for r in self._pending if r.at > now]
        for reaction in sorted(due, key=lambda r: (r.at, r.order_id)):
            code = self.codes[reaction.order_id]
            if reaction.rating is not None:
                # 409: given already, as a retried request finds it.
                self.api.send(
                    "POST",
                    f"/track/{code}/feedback",
                    json={"rating": reaction.rating},
                    ok=(201, 409),
                )
                self.ratings[reaction.order_id] = reaction.rating
            if reaction.category is not None:
                self.api.send(
                    "POST",
                    f"/track/{code}/complaints",
                    json={"category": reaction.category, "description": _TEXTS[reaction.category]},
                )
                self.complaints[reaction.order_id] = reaction.category


def serve_customers(
    customers: Customers, dispatcher: Dispatcher, agents: Iterable[CourierAgent], now: datetime
) -> None:
    """One step of the customers' side: new deliveries noticed, reactions due sent, and the
    dispatcher's inbox read once there are complaints."""
    customers.notice(o for agent in agents for o in agent.outcomes.values())
    customers.act(now)
    if customers.complaints:
        dispatcher.answer_complaints(customers.noise, now)


def codes_of(orders: dict[int, dict[str, Any]]) -> dict[int, str]:
    """Tracking codes by order id, from the orders as GET /orders lists them."""
    return {order_id: str(order["tracking_code"]) for order_id, order in orders.items()}
