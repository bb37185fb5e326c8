"""The stream reader hands events out in id order, waiting a while for ids still committing."""

from __future__ import annotations

from datetime import UTC, date, datetime

from api.live_hub import IdSequence, StreamFilter
from infra.live_events import LiveRecord

DAY = date(2025, 3, 4)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def records(*ids: int, day: date = DAY, depot_id: int | None = None) -> list[LiveRecord]:
    at = datetime(2025, 3, 4, 9, tzinfo=UTC)
    return [LiveRecord(i, "position", day, depot_id, None, None, None, {}, at) for i in ids]


def ids(found: list[LiveRecord]) -> list[int]:
    return [r.id for r in found]


def test_events_without_holes_go_out_at_once():
    sequence = IdSequence(10, 3.0, Clock())

    assert ids(sequence.take(records(11, 12, 13))) == [11, 12, 13]
    assert sequence.watermark == 13
    assert not sequence.waiting


def test_an_id_still_committing_holds_back_the_newer_ones_until_it_arrives():
    clock = Clock()
    sequence = IdSequence(10, 3.0, clock)

    assert ids(sequence.take(records(11, 13, 14))) == [11]
    assert sequence.waiting
    clock.now += 1
    assert ids(sequence.take(records(13, 14))) == []
    clock.now += 1
    assert ids(sequence.take(records(12, 13, 14))) == [12, 13, 14]
    assert not sequence.waiting


def test_a_hole_that_outlasts_the_grace_period_is_given_up():
    clock = Clock()
    sequence = IdSequence(10, 3.0, clock)

    assert ids(sequence.take(records(12, 13))) == []
    clock.now += 3.5
    assert ids(sequence.take(records(12, 13, 15))) == [12, 13]
    # A new hole waits a grace period of its own.
    clock.now += 1
    assert ids(sequence.take(records(15))) == []
    assert sequence.watermark == 13


def test_a_filter_keeps_its_day_and_depot_and_events_of_every_depot():
    here = StreamFilter(DAY, depot_id=1)

    assert [
        here.admits(r)
        for r in records(1, depot_id=1)
        + records(2, depot_id=2)
        + records(3)
        + records(4, day=date(2025, 3, 5), depot_id=1)
    ] == [True, False, True, False]
