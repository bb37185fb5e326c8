"""Pure warehouse decisions: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from infra.models import StorageMode
from warehouse import rules
from warehouse.rules import ChecklistItem, ItemResult, Reading, StockCandidate, Take

DAY = date(2025, 3, 4)
T0 = datetime(2025, 3, 4, 6, 0, tzinfo=UTC)


def candidate(
    batch_id: int, *, expires: date = DAY, available: int = 10, on_hold: bool = False
) -> StockCandidate:
    return StockCandidate(batch_id, expires, available, on_hold)


def test_fefo_takes_the_batch_that_expires_first():
    later = candidate(1, expires=DAY + timedelta(days=5))
    sooner = candidate(2, expires=DAY + timedelta(days=1))

    assert rules.choose_fefo(3, [later, sooner], day=DAY) == (Take(2, 3),)


def test_fefo_splits_a_line_over_batches_when_one_is_too_small():
    sooner = candidate(1, expires=DAY, available=2)
    later = candidate(2, expires=DAY + timedelta(days=1))

    assert rules.choose_fefo(5, [later, sooner], day=DAY) == (Take(1, 2), Take(2, 3))


def test_fefo_never_takes_a_held_or_expired_batch():
    held = candidate(1, on_hold=True)
    expired = candidate(2, expires=DAY - timedelta(days=1))

    assert rules.choose_fefo(1, [held, expired], day=DAY) is None


def test_fefo_gives_none_when_stock_does_not_suffice():
    assert rules.choose_fefo(11, [candidate(1)], day=DAY) is None


def test_a_batch_expiring_on_the_day_is_still_shippable():
    assert rules.is_shippable(on_hold=False, expires_on=DAY, day=DAY)


def test_a_held_batch_is_not_shippable():
    assert not rules.is_shippable(on_hold=True, expires_on=DAY, day=DAY)


def test_conflicting_groups_are_found_in_either_order():
    assert rules.conflicting_groups("food", ["chemicals", "food", None]) == {"chemicals"}
    assert rules.conflicting_groups("chemicals", ["food"]) == {"food"}


def test_no_group_conflicts_with_nothing():
    assert rules.conflicting_groups(None, ["chemicals"]) == set()


def test_storage_mode_must_match_the_zone():
    assert rules.mode_fits_zone(StorageMode.CHILLED, StorageMode.CHILLED)
    assert not rules.mode_fits_zone(StorageMode.FROZEN, StorageMode.AMBIENT)


def test_a_reading_breaches_either_bound():
    assert rules.reading_breaches(9.0, 2.0, 8.0)
    assert rules.reading_breaches(1.0, 2.0, None)
    assert not rules.reading_breaches(5.0, 2.0, 8.0)


def readings(*pairs: tuple[int, float]) -> list[Reading]:
    return [Reading(T0 + timedelta(minutes=m), t) for m, t in pairs]


def test_an_excursion_longer_than_the_grace_period_breaches_from_its_start():
    series = readings((0, 5.0), (10, 9.0), (25, 9.5), (45, 10.0))

    started = rules.excursion_started_at(series, min_c=2.0, max_c=8.0, grace_s=30 * 60)

    assert started == T0 + timedelta(minutes=10)


def test_a_short_excursion_within_the_grace_period_does_not_breach():
    series = readings((0, 9.0), (20, 9.0), (25, 5.0), (50, 9.0))

    assert rules.excursion_started_at(series, min_c=2.0, max_c=8.0, grace_s=30 * 60) is None


def test_late_readings_are_ordered_by_measurement_time():
    series = readings((45, 10.0), (0, 9.0), (20, 9.0))

    assert rules.excursion_started_at(series, min_c=None, max_c=8.0, grace_s=1800) == T0


def test_refrigeration_is_checked_only_on_refrigerated_vehicles():
    plain = rules.items_to_check(rules.DEFAULT_CHECKLIST, refrigerated=False)
    cold = rules.items_to_check(rules.DEFAULT_CHECKLIST, refrigerated=True)

    assert "refrigeration_unit" not in {i.code for i in plain}
    assert "refrigeration_unit" in {i.code for i in cold}
    assert rules.is_refrigerated(["chilled"])


CHECKLIST = (
    ChecklistItem("brakes", "Brakes", critical=True),
    ChecklistItem("mirrors", "Mirrors", critical=False),
)


def test_a_checklist_with_every_item_passed_passes():
    outcome = rules.judge_checklist(
        CHECKLIST, [ItemResult("brakes", True), ItemResult("mirrors", True)]
    )

    assert outcome.passed


def test_a_failed_critical_item_fails_the_checklist():
    outcome = rules.judge_checklist(
        CHECKLIST, [ItemResult("brakes", False), ItemResult("mirrors", True)]
    )

    assert not outcome.passed
    assert outcome.critical_failures == ("brakes",)


def test_a_failed_non_critical_item_is_a_defect_that_allows_departure():
    outcome = rules.judge_checklist(
        CHECKLIST, [ItemResult("brakes", True), ItemResult("mirrors", False, "cracked")]
    )

    assert outcome.passed
    assert outcome.defects == ("mirrors",)


def test_missing_and_unknown_items_make_a_checklist_incomplete():
    outcome = rules.judge_checklist(
        CHECKLIST, [ItemResult("brakes", True), ItemResult("horn", True)]
    )

    assert not outcome.complete
    assert outcome.missing == ("mirrors",)
    assert outcome.unknown == ("horn",)
