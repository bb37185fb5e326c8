"""Pure warehouse decisions: shippable batches, FEFO choice, storage fit, excursions, checklists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from infra.models.warehouse import StorageMode

# Vehicle skills that mean a refrigeration unit is on board.
REFRIGERATED_SKILLS = frozenset({"chilled", "frozen", "refrigerated"})

# Compatibility groups that must never share a storage zone (cross-contamination, odour,
# hazardous goods next to food or medicine).
INCOMPATIBLE_GROUPS: frozenset[frozenset[str]] = frozenset(
    {
        frozenset({"chemicals", "food"}),
        frozenset({"chemicals", "pharma"}),
        frozenset({"raw_meat", "ready_to_eat"}),
        frozenset({"allergen", "allergen_free"}),
        frozenset({"odorous", "odour_sensitive"}),
    }
)


def groups_conflict(first: str | None, second: str | None) -> bool:
    if first is None or second is None:
        return False
    return frozenset({first, second}) in INCOMPATIBLE_GROUPS


def conflicting_groups(group: str | None, present: Iterable[str | None]) -> set[str]:
    """The groups already in a zone that a batch of `group` may not sit next to."""
    return {g for g in present if g is not None and groups_conflict(group, g)}


def mode_fits_zone(batch_mode: StorageMode, zone_mode: StorageMode) -> bool:
    return batch_mode is zone_mode


def is_shippable(*, on_hold: bool, expires_on: date, day: date) -> bool:
    """A batch may go out on `day` when no hold blocks it and it has not expired by then."""
    return not on_hold and expires_on >= day


@dataclass(frozen=True, slots=True)
class StockCandidate:
    batch_id: int
    expires_on: date
    available: int
    on_hold: bool


@dataclass(frozen=True, slots=True)
class Take:
    batch_id: int
    quantity: int


def choose_fefo(
    quantity: int, candidates: Iterable[StockCandidate], *, day: date
) -> tuple[Take, ...] | None:
    """Units taken first-expiry-first-out from shippable batches, or None if they do not suffice.

    Ties in expiry go to the older batch (lower id) so the choice is deterministic.
    """
    usable = sorted(
        (
            c
            for c in candidates
            if c.available > 0 and is_shippable(on_hold=c.on_hold, expires_on=c.expires_on, day=day)
        ),
        key=lambda c: (c.expires_on, c.batch_id),
    )
    takes: list[Take] = []
    missing = quantity
    for candidate in usable:
        if missing <= 0:
            break
        taken = min(candidate.available, missing)
        takes.append(Take(candidate.batch_id, taken))
        missing -= taken
    return tuple(takes) if missing <= 0 else None


def reading_breaches(temperature_c: float, min_c: float | None, max_c: float | None) -> bool:
    return (min_c is not None and temperature_c < min_c) or (
        max_c is not None and temperature_c > max_c
    )


@dataclass(frozen=True, slots=True)
class Reading:
    measured_at: datetime
    temperature_c: float


def excursion_started_at(
    readings: Iterable[Reading], *, min_c: float | None, max_c: float | None, grace_s: int
) -> datetime | None:
    """When the first excursion that lasted at least `grace_s` began, or None.

    An excursion runs from the first reading outside the range to the last one before a
    reading inside it again; its length is measured between those readings.
    """
    started: datetime | None = None
    for reading in sorted(readings, key=lambda r: r.measured_at):
        if not reading_breaches(reading.temperature_c, min_c, max_c):
            started = None
            continue
        if started is None:
            started = reading.measured_at
        if (reading.measured_at - started).total_seconds() >= grace_s:
            return started
    return None


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    code: str
    label: str
    critical: bool
    refrigerated_only: bool = False


DEFAULT_CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("brakes", "Brakes", critical=True),
    ChecklistItem("tyres", "Tyres: pressure and tread", critical=True),
    ChecklistItem("lights", "Lights and indicators", critical=True),
    ChecklistItem("mirrors", "Mirrors", critical=False),
    ChecklistItem("fluid_levels", "Fluid levels", critical=False),
    ChecklistItem("cargo_area_clean", "Cargo area clean", critical=False),
    ChecklistItem(
        "refrigeration_unit",
        "Refrigeration unit at temperature",
        critical=True,
        refrigerated_only=True,
    ),
    ChecklistItem("documents", "Vehicle documents on board", critical=True),
)


def is_refrigerated(skills: Iterable[str]) -> bool:
    return not REFRIGERATED_SKILLS.isdisjoint(skills)


def items_to_check(
    checklist: Sequence[ChecklistItem], *, refrigerated: bool
) -> tuple[ChecklistItem, ...]:
    return tuple(i for i in checklist if refrigerated or not i.refrigerated_only)


@dataclass(frozen=True, slots=True)
class ItemResult:
    code: str
    passed: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ChecklistOutcome:
    # Codes the checklist asks for that the submission lacks, and codes it does not know.
    missing: tuple[str, ...]
    unknown: tuple[str, ...]
    critical_failures: tuple[str, ...]
    defects: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing and not self.unknown

    @property
    def passed(self) -> bool:
        """Complete and no critical item failed; a non-critical failure is a defect, not a stop."""
        return self.complete and not self.critical_failures


def judge_checklist(
    checklist: Sequence[ChecklistItem], results: Sequence[ItemResult]
) -> ChecklistOutcome:
    by_code = {r.code: r for r in results}
    known = {i.code for i in checklist}
    failed = [i for i in checklist if i.code in by_code and not by_code[i.code].passed]
    return ChecklistOutcome(
        missing=tuple(i.code for i in checklist if i.code not in by_code),
        unknown=tuple(r.code for r in results if r.code not in known),
        critical_failures=tuple(i.code for i in failed if i.critical),
        defects=tuple(i.code for i in failed if not i.critical),
    )
