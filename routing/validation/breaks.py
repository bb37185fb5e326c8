"""Breaks: each required break taken once, inside its window, between services, with room to drive.

A break lies wholly before the route start, wholly after its end, or inside a gap between a
departure (or the start) and the next service start (or the end); the gap must then hold the
driving and every break in it.
"""

from __future__ import annotations

from collections.abc import Callable

from routing.solution import BreakTaken
from routing.validation.context import CheckedTour, Gap, gaps_of
from routing.validation.violations import Violation, ViolationKind, at, window_text


def check_breaks(checked: CheckedTour) -> list[Violation]:
    return (
        _check_matching(checked)
        + _check_overlaps(checked)
        + _check_placement(checked)
        + _check_room(checked)
    )


def _span(brk: BreakTaken) -> str:
    return f"break from {at(brk.start_s)} to {at(_end_s(brk))}"


def _check_matching(checked: CheckedTour) -> list[Violation]:
    """Pair the breaks taken with the vehicle's breaks by duration, preferring window matches."""
    required, taken = checked.vehicle.breaks, checked.tour.breaks
    vid = checked.vehicle.id
    matched = _max_matching(
        len(taken),
        len(required),
        lambda t, r: (
            taken[t].duration_s == required[r].duration_s
            and required[r].window.contains(taken[t].start_s)
        ),
    )
    free = [r for r in range(len(required)) if r not in matched.values()]
    found: list[Violation] = []
    for t, brk in enumerate(taken):
        if t in matched:
            continue
        r = next((r for r in free if required[r].duration_s == brk.duration_s), None)
        if r is None:
            found.append(
                Violation(
                    ViolationKind.UNEXPECTED_BREAK,
                    vid,
                    None,
                    f"vehicle {vid} takes a {brk.duration_s}s {_span(brk)}, but has no "
                    f"further break of that duration to take",
                )
            )
            continue
        free.remove(r)
        found.append(
            Violation(
                ViolationKind.BREAK_OUTSIDE_WINDOW,
                vid,
                None,
                f"vehicle {vid} starts its {brk.duration_s}s break at {at(brk.start_s)}, "
                f"outside its window {window_text(required[r].window)}",
            )
        )
    found += [
        Violation(
            ViolationKind.MISSING_BREAK,
            vid,
            None,
            f"vehicle {vid} does not take its {required[r].duration_s}s break due to start in "
            f"{window_text(required[r].window)}",
        )
        for r in free
    ]
    return found


def _max_matching(n_left: int, n_right: int, fits: Callable[[int, int], bool]) -> dict[int, int]:
    """Maximum bipartite matching (augmenting paths); a handful of breaks per vehicle."""
    owner: dict[int, int] = {}  # right -> left

    def augment(left: int, seen: set[int]) -> bool:
        for right in range(n_right):
            if right in seen or not fits(left, right):
                continue
            seen.add(right)
            if right not in owner or augment(owner[right], seen):
                owner[right] = left
                return True
        return False

    for left in range(n_left):
        augment(left, set())
    return {left: right for right, left in owner.items()}


def _overlaps(start_a: int, end_a: int, start_b: int, end_b: int) -> bool:
    """Half-open intervals share time; an empty interval overlaps nothing."""
    return start_a < end_b and start_b < end_a and start_a < end_a and start_b < end_b


def _check_overlaps(checked: CheckedTour) -> list[Violation]:
    vid = checked.vehicle.id
    ordered = sorted(checked.tour.breaks, key=lambda b: b.start_s)
    return [
        Violation(
            ViolationKind.BREAK_OVERLAPS_BREAK,
            vid,
            None,
            f"vehicle {vid}: the {_span(a)} overlaps the {_span(b)}",
        )
        for i, a in enumerate(ordered)
        for b in ordered[i + 1 :]
        if _overlaps(a.start_s, _end_s(a), b.start_s, _end_s(b))
    ]


def _end_s(brk: BreakTaken) -> int:
    return brk.start_s + brk.duration_s


def _gap_holding(gaps: list[Gap], brk: BreakTaken) -> int | None:
    return next((i for i, gap in enumerate(gaps) if gap.holds(brk.start_s, _end_s(brk))), None)


def _check_placement(checked: CheckedTour) -> list[Violation]:
    tour, vid = checked.tour, checked.vehicle.id
    gaps = gaps_of(checked)
    services = [
        (visit.id, a.service_start_s, a.service_start_s + visit.service_s)
        for a, visit in checked.stops
    ]
    found: list[Violation] = []
    for brk in tour.breaks:
        outside = _end_s(brk) <= tour.start_s or brk.start_s >= tour.end_s
        if outside or _gap_holding(gaps, brk) is not None:
            continue
        hit = [(v, s, e) for v, s, e in services if _overlaps(brk.start_s, _end_s(brk), s, e)]
        found += [
            Violation(
                ViolationKind.BREAK_OVERLAPS_SERVICE,
                vid,
                v,
                f"vehicle {vid}: the {_span(brk)} overlaps the service of visit {v} "
                f"from {at(s)} to {at(e)}",
            )
            for v, s, e in hit
        ]
        if not hit:
            found.append(
                Violation(
                    ViolationKind.BREAK_MISPLACED,
                    vid,
                    None,
                    f"vehicle {vid}: the {_span(brk)} is neither wholly outside the route "
                    f"({at(tour.start_s)} to {at(tour.end_s)}) nor between a departure and "
                    "the next service",
                )
            )
    return found


def _check_room(checked: CheckedTour) -> list[Violation]:
    vid = checked.vehicle.id
    gaps = gaps_of(checked)
    in_gap: dict[int, list[BreakTaken]] = {}
    for brk in checked.tour.breaks:
        g = _gap_holding(gaps, brk)
        if g is not None:
            in_gap.setdefault(g, []).append(brk)
    found: list[Violation] = []
    for g, breaks in in_gap.items():
        gap = gaps[g]
        paused = _covered_s(breaks)
        # A gap too short for the driving alone is a timetable violation, reported there.
        if gap.travel_s <= gap.length_s < gap.travel_s + paused:
            before = "the route end" if gap.next_visit_id is None else f"visit {gap.next_visit_id}"
            found.append(
                Violation(
                    ViolationKind.NO_ROOM_FOR_BREAK,
                    vid,
                    gap.next_visit_id,
                    f"vehicle {vid}: the {gap.length_s}s from {at(gap.start_s)} to "
                    f"{at(gap.end_s)} before {before} cannot hold {gap.travel_s}s of driving "
                    f"and {paused}s of breaks",
                )
            )
    return found


def _covered_s(breaks: list[BreakTaken]) -> int:
    """Seconds covered by at least one break: overlapping breaks are reported on their own."""
    covered = 0
    reached: int | None = None
    for brk in sorted(breaks, key=lambda b: b.start_s):
        start = brk.start_s if reached is None else max(brk.start_s, reached)
        covered += max(0, _end_s(brk) - start)
        reached = _end_s(brk) if reached is None else max(reached, _end_s(brk))
    return covered
