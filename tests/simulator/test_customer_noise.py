"""What customers and the dispatcher make of a delivery: drawn per order, lateness costs stars
and draws complaints."""

from __future__ import annotations

from statistics import mean

from infra.models import ComplaintCategory, ComplaintStatus
from simulator.noise import NoiseModel

KEYS = range(1, 2001)
HOUR_S = 3600


def _ratings(noise: NoiseModel, late_s: int) -> list[int]:
    drawn = (noise.feedback(k, late_s) for k in KEYS)
    return [rating for _, rating in filter(None, drawn)]


def test_about_a_third_rate_and_lateness_costs_stars():
    noise = NoiseModel(seed=0)

    on_time, hour_late = _ratings(noise, 0), _ratings(noise, HOUR_S)

    assert 0.28 <= len(on_time) / len(KEYS) <= 0.42
    assert all(1 <= r <= 5 for r in on_time + hour_late)
    assert mean(on_time) > 4.2
    assert mean(hour_late) < mean(on_time) - 1.0
    delays = [drawn[0] for drawn in (noise.feedback(k, 0) for k in KEYS) if drawn]
    assert all(5 <= after_min < 120 for after_min in delays)


def test_late_deliveries_draw_late_complaints_and_on_time_ones_rarely_damaged():
    noise = NoiseModel(seed=0)

    on_time = [c for c in (noise.complaint(k, 0) for k in KEYS) if c]
    two_hours_late = [c for c in (noise.complaint(k, 2 * HOUR_S) for k in KEYS) if c]

    assert {category for _, category in on_time} == {ComplaintCategory.DAMAGED}
    assert 0.01 <= len(on_time) / len(KEYS) <= 0.06
    assert {category for _, category in two_hours_late} == {ComplaintCategory.LATE}
    assert len(two_hours_late) / len(KEYS) >= 0.7


def test_the_dispatcher_resolves_most_complaints_within_three_hours():
    noise = NoiseModel(seed=0)

    answers = [noise.answer(k) for k in KEYS]
    statuses = [status for _, status in answers]

    assert all(20 <= after_min < 180 for after_min, _ in answers)
    assert 0.6 <= statuses.count(ComplaintStatus.RESOLVED) / len(KEYS) <= 0.8
    assert statuses.count(ComplaintStatus.REJECTED) > 0
    assert statuses.count(ComplaintStatus.IN_PROGRESS) > 0


def test_the_same_seed_draws_the_same_customers():
    first, again = NoiseModel(seed=3), NoiseModel(seed=3)

    assert [first.feedback(k, 600) for k in KEYS] == [again.feedback(k, 600) for k in KEYS]
    assert [first.complaint(k, 600) for k in KEYS] == [again.complaint(k, 600) for k in KEYS]
    assert [first.answer(k) for k in KEYS] != [NoiseModel(seed=4).answer(k) for k in KEYS]
