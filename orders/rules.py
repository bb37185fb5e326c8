"""Pure intake rules on a whole order: what the field checks alone cannot see."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from infra.errors import FieldProblem
from orders.drafts import OrderDraft, WindowDraft


def window_problems(windows: Sequence[WindowDraft]) -> list[FieldProblem]:
    problems = []
    for index, window in enumerate(windows):
        if window.end <= window.start:
            problems.append(
                FieldProblem(f"windows[{index}]", "ends before it starts (or has no length)")
            )
    ordered = sorted(range(len(windows)), key=lambda i: windows[i].start)
    for before, after in itertools.pairwise(ordered):
        if windows[after].start < windows[before].end:
            problems.append(
                FieldProblem(f"windows[{after}]", f"overlaps windows[{before}]; merge them")
            )
    return problems


def location_problems(
    lat: float | None, lng: float | None, address: str | None
) -> list[FieldProblem]:
    if (lat is None) != (lng is None):
        missing = "lng" if lng is None else "lat"
        return [FieldProblem(missing, "lat and lng must be given together")]
    if lat is None and address is None:
        return [FieldProblem("address", "give an address or the coordinates (lat and lng)")]
    return []


def draft_problems(draft: OrderDraft) -> list[FieldProblem]:
    """Every rule the draft breaks (empty when it may be taken in)."""
    problems = location_problems(draft.lat, draft.lng, draft.address)
    if not draft.parcels:
        problems.append(FieldProblem("parcels", "at least one parcel is required"))
    problems.extend(window_problems(draft.windows))
    if len(set(draft.handling)) != len(draft.handling):
        problems.append(FieldProblem("handling", "lists a need twice"))
    return problems


def all_windows_over(
    windows: Sequence[WindowDraft], *, service_date: date, zone: ZoneInfo, now: datetime
) -> bool:
    """True when every window on the service date has already ended at `now`."""
    if not windows:
        return False
    return all(datetime.combine(service_date, w.end, tzinfo=zone) <= now for w in windows)
