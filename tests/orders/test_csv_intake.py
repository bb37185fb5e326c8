"""Reading the bulk order CSV: typed drafts, and every problem with its row and column."""

from __future__ import annotations

from datetime import time

import pytest

from infra.models import OrderKind
from orders.csv_intake import read_orders_csv
from orders.errors import InvalidCsv


def test_a_row_becomes_a_draft_with_units_converted():
    data = (
        b"recipient_name,weight_kg,volume_l,parcel_count,lat,lng,windows,lines,handling,kind\n"
        b'Ada,2.5,12,3,52.5,13.4,09:00-11:00;14:00-16:00,"SKU-1:2;SKU-2:1",chilled,pickup\n'
    )

    parsed = read_orders_csv(data)

    assert parsed.problems == []
    [(row, draft)] = parsed.drafts
    assert row == 2
    assert draft.parcels[0].weight_g == 2500
    assert draft.parcels[0].volume_cm3 == 12_000
    assert draft.parcels[0].count == 3
    assert [(w.start, w.end) for w in draft.windows] == [
        (time(9), time(11)),
        (time(14), time(16)),
    ]
    assert [(line.sku, line.quantity) for line in draft.lines] == [("SKU-1", 2), ("SKU-2", 1)]
    assert draft.handling == ("chilled",)
    assert draft.kind is OrderKind.PICKUP


def test_a_utf8_bom_and_blank_lines_are_tolerated():
    data = "\ufeffrecipient_name,weight_kg,lat,lng\nA,1,1,1\n,,,\nB,1,1,1\n".encode()

    parsed = read_orders_csv(data)

    assert [row for row, _ in parsed.drafts] == [2, 4]


def test_every_bad_cell_of_every_row_is_reported():
    data = (
        b"recipient_name,weight_kg,lat,lng,windows,lines,recipient_email\n"
        b"A,0,1,1,,,\n"
        b",1,1,1,9-10,,\n"
        b"C,1,1,1,,SKU-1:zero,nobody\n"
        b"D,1,1\n"
    )

    parsed = read_orders_csv(data)

    assert {(p.row, p.field) for p in parsed.problems} == {
        (2, "weight_kg"),
        (3, "recipient_name"),
        (3, "windows"),
        (4, "lines"),
        (4, "recipient_email"),
        (5, "row"),
    }


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"recipient_name,weight_kg\n", "no order rows"),
        (b"\x80abc", "not UTF-8"),
        (b"recipient_name,weight_kg,weight_kg\nA,1,1\n", "header"),
    ],
)
def test_an_unusable_file_is_refused_as_a_whole(data, why):
    with pytest.raises(InvalidCsv) as refused:
        read_orders_csv(data)

    assert why in refused.value.detail
    assert refused.value.problems
