"""The day's randomness: traffic, service times, failed attempts and what customers and the
dispatcher make of a delivery, drawn per key from a seed.

Every draw is keyed by what it is about (a vehicle, an order), not by the order in which the
simulation asks, so the counterfactual day without replanning replays exactly the same noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from infra.models import ComplaintCategory, ComplaintStatus, FailureReason

# Streams keep draws about the same key (an order's leg, its service, its failure) independent.
_TRAFFIC, _LEG, _SERVICE, _FAILURE, _URGENT, _FEEDBACK, _COMPLAINT, _ANSWER = range(8)
# How often each reason is given, roughly as couriers report them.
_REASONS = (
    (FailureReason.NOT_AT_HOME, 0.6),
    (FailureReason.NO_ACCESS, 0.2),
    (FailureReason.ADDRESS_NOT_FOUND, 0.1),
    (FailureReason.REFUSED, 0.1),
)


@dataclass(frozen=True, slots=True)
class NoiseModel:
    seed: int = 0
    # A route's traffic slows every leg by a factor around exp(mean), e.g. 1.08.
    traffic_log_mean: float = 0.08
    traffic_log_sigma: float = 0.15
    # Each leg varies around its route's traffic (lights, parking).
    leg_log_sigma: float = 0.10
    # Service takes a bit more or less than planned; now and then much more (stairs, a chat).
    service_log_sigma: float = 0.25
    long_service_share: float = 0.05
    long_service_factor: tuple[float, float] = (3.0, 5.0)
    failure_share: float = 0.04
    # About a third of customers rate a delivery; every hour late costs about 1.5 stars.
    feedback_share: float = 0.35
    rating_on_time_mean: float = 4.6
    rating_drop_per_late_h: float = 1.5
    rating_sigma: float = 0.7
    # A late delivery draws a complaint more often the later it was; now and then goods
    # arrive damaged.
    complaint_late_share: float = 0.25
    complaint_share_per_late_h: float = 0.4
    damaged_share: float = 0.03
    # How the dispatcher closes a complaint: resolved, rejected, else answered and left open.
    resolved_share: float = 0.7
    rejected_share: float = 0.1

    def _rng(self, stream: int, key: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, stream, key])

    def traffic_factor(self, vehicle_id: int) -> float:
        """How much slower than the planned speed this vehicle's day is (about 0.9-1.8)."""
        draw = self._rng(_TRAFFIC, vehicle_id).normal(self.traffic_log_mean, self.traffic_log_sigma)
        return float(np.clip(np.exp(draw), 0.9, 1.8))

    def leg_factor(self, order_id: int) -> float:
        """The drive to this order's stop against the route's traffic (key 0: back to the depot)."""
        draw = self._rng(_LEG, order_id).normal(0.0, self.leg_log_sigma)
        return float(np.clip(np.exp(draw), 0.75, 1.5))

    def service_s(self, order_id: int, planned_s: int) -> int:
        rng = self._rng(_SERVICE, order_id)
        factor = float(np.clip(np.exp(rng.normal(0.0, self.service_log_sigma)), 0.5, 2.0))
        if rng.random() < self.long_service_share:
            factor = float(rng.uniform(*self.long_service_factor))
        return max(30, round(planned_s * factor))

    def is_long_service(self, order_id: int, planned_s: int) -> bool:
        return self.service_s(order_id, planned_s) >= planned_s * self.long_service_factor[0]

    def failure(self, order_id: int) -> FailureReason | None:
        """The reason this attempt fails, or None when the parcel is handed over."""
        rng = self._rng(_FAILURE, order_id)
        if rng.random() >= self.failure_share:
            return None
        pick = rng.random()
        for reason, share in _REASONS:
            if pick < share:
                return reason
            pick -= share
        return _REASONS[0][0]

    def feedback(self, order_id: int, late_s: int) -> tuple[int, int] | None:
        """(minutes after the delivery, rating 1-5) when this customer rates it, else None."""
        rng = self._rng(_FEEDBACK, order_id)
        if rng.random() >= self.feedback_share:
            return None
        mean = self.rating_on_time_mean - self.rating_drop_per_late_h * late_s / 3600
        rating = int(np.clip(round(rng.normal(mean, self.rating_sigma)), 1, 5))
        return int(rng.integers(5, 120)), rating

    def complaint(self, order_id: int, late_s: int) -> tuple[int, ComplaintCategory] | None:
        """(minutes after the delivery, category) when this customer complains, else None."""
        rng = self._rng(_COMPLAINT, order_id)
        share = self.damaged_share
        category = ComplaintCategory.DAMAGED
        if late_s > 0:
            share = min(
                0.8, self.complaint_late_share + self.complaint_share_per_late_h * late_s / 3600
            )
            category = ComplaintCategory.LATE
        if rng.random() >= share:
            return None
        return int(rng.integers(10, 90)), category

    def answer(self, order_id: int) -> tuple[int, ComplaintStatus]:
        """(minutes after it was opened, the status it gets) of the dispatcher's answer to the
        complaint about this order; in progress means answered, not closed."""
        rng = self._rng(_ANSWER, order_id)
        pick = rng.random()
        status = ComplaintStatus.IN_PROGRESS
        if pick < self.resolved_share:
            status = ComplaintStatus.RESOLVED
        elif pick < self.resolved_share + self.rejected_share:
            status = ComplaintStatus.REJECTED
        return int(rng.integers(20, 180)), status

    def urgent_rng(self) -> np.random.Generator:
        """Where and what the midday urgent orders are."""
        return self._rng(_URGENT, 0)
