"""The day's randomness: traffic, service times and failed attempts, drawn per key from a seed.

Every draw is keyed by what it is about (a vehicle, an order), not by the order in which the
simulation asks, so the counterfactual day without replanning replays exactly the same noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from infra.models import FailureReason

# Streams keep draws about the same key (an order's leg, its service, its failure) independent.
_TRAFFIC, _LEG, _SERVICE, _FAILURE, _URGENT = range(5)
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

    def urgent_rng(self) -> np.random.Generator:
        """Where and what the midday urgent orders are."""
        return self._rng(_URGENT, 0)
