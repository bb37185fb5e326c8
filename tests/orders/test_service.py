"""Order use cases on a real database session."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest

from infra.models import LocationSource, OrderStatus
from infra.settings import OperationSettings
from orders import service
from orders.drafts import OrderChanges, OrderDraft, ParcelDraft, WindowDraft
from orders.errors import CoordinatesRequired, OrderNotEditable
from tests.conftest import DEFAULT_NOW
from tests.factories import FakeGeocoder, make_order

OPERATION = OperationSettings(timezone="Europe/Berlin")


def draft(**overrides: Any) -> OrderDraft:
    values: dict[str, Any] = {
        "recipient_name": "Ada",
        "parcels": (ParcelDraft(1000, 2000, 1),),
        "lat": 52.5,
        "lng": 13.4,
    } | overrides
    return OrderDraft(**values)


def test_windows_are_stored_as_utc_instants_on_the_service_date(session):
    intake = service.take_order(
        session,
        draft(windows=(WindowDraft(time(10), time(12)),)),
        received_at=DEFAULT_NOW,
        operation=OPERATION,
        geocoder=None,
    )

    [window] = intake.order.windows
    assert window.starts_at == datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    assert intake.order.status is OrderStatus.PLANNABLE


def test_an_address_is_geocoded_when_a_geocoder_is_configured(session):
    geocoder = FakeGeocoder()

    intake = service.take_order(
        session,
        draft(lat=None, lng=None, address="Alexanderplatz 1, Berlin"),
        received_at=DEFAULT_NOW,
        operation=OPERATION,
        geocoder=geocoder,
    )

    assert intake.order.location_source is LocationSource.GEOCODED
    assert geocoder.asked == ["Alexanderplatz 1, Berlin"]


def test_given_coordinates_are_used_as_they_are_without_asking_the_geocoder(session):
    geocoder = FakeGeocoder()

    intake = service.take_order(
        session,
        draft(address="Alexanderplatz 1, Berlin"),
        received_at=DEFAULT_NOW,
        operation=OPERATION,
        geocoder=geocoder,
    )

    assert (intake.order.lat, intake.order.lng) == (52.5, 13.4)
    assert geocoder.asked == []


def test_an_address_without_a_geocoder_needs_coordinates(session):
    with pytest.raises(CoordinatesRequired, match="no geocoder is configured"):
        service.take_order(
            session,
            draft(lat=None, lng=None, address="Somewhere 1"),
            received_at=DEFAULT_NOW,
            operation=OPERATION,
            geocoder=None,
        )


def test_a_new_address_is_geocoded_when_an_order_is_amended(session):
    order = make_order(session)

    service.amend_order(
        session,
        order.id,
        OrderChanges(address="Alexanderplatz 1, Berlin"),
        now=DEFAULT_NOW,
        operation=OPERATION,
        geocoder=FakeGeocoder(),
    )

    assert (order.lat, order.lng) == (52.5219, 13.4132)
    assert order.address == "Alexanderplatz 1, Berlin"


@pytest.mark.parametrize(
    "status", [OrderStatus.PLANNED, OrderStatus.OUT_FOR_DELIVERY, OrderStatus.DELIVERED]
)
def test_orders_on_a_plan_or_beyond_cannot_be_amended(session, status):
    order = make_order(session, status=status)

    with pytest.raises(OrderNotEditable) as refused:
        service.amend_order(
            session,
            order.id,
            OrderChanges(priority=1),
            now=DEFAULT_NOW,
            operation=OPERATION,
            geocoder=None,
        )

    assert refused.value.ids == {"order_id": order.id, "status": status.value}


def test_cancelling_twice_is_harmless(session):
    order = make_order(session)

    service.cancel_order(session, order.id, now=DEFAULT_NOW)
    again = service.cancel_order(session, order.id, now=DEFAULT_NOW)

    assert again.status is OrderStatus.CANCELLED
