"""The geopy adapter behind the Geocoder protocol, with a stand-in for the remote service."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from geopy.exc import GeocoderTimedOut

from infra.geocoding import GeocoderUnavailable, GeoPoint, GeopyGeocoder, make_geocoder
from infra.settings import GeocoderSettings


class Service:
    def __init__(self, answer: object = None, error: Exception | None = None) -> None:
        self.answer = answer
        self.error = error

    def geocode(self, address: str, exactly_one: bool) -> object:
        assert exactly_one
        if self.error is not None:
            raise self.error
        return self.answer if address else None


def test_a_found_place_becomes_a_point():
    geocoder = GeopyGeocoder(Service(SimpleNamespace(latitude=59.437, longitude=24.745)), "x")

    assert geocoder.locate("Raekoja plats 1, Tallinn") == GeoPoint(59.437, 24.745)


def test_an_unknown_place_is_none():
    assert GeopyGeocoder(Service(None), "x").locate("Nowhere") is None


def test_a_failing_service_is_reported_as_unavailable():
    geocoder = GeopyGeocoder(Service(error=GeocoderTimedOut("slow")), "nominatim")

    with pytest.raises(GeocoderUnavailable, match="nominatim"):
        geocoder.locate("Raekoja plats 1, Tallinn")


def test_no_provider_means_no_geocoder():
    assert make_geocoder(GeocoderSettings()) is None


def test_a_configured_provider_is_built_without_contacting_it():
    geocoder = make_geocoder(GeocoderSettings(provider="nominatim", user_agent="sameday-tests"))

    assert isinstance(geocoder, GeopyGeocoder)


def test_an_unknown_provider_is_refused():
    with pytest.raises(ValueError, match="unknown geocoder provider"):
        make_geocoder(GeocoderSettings(provider="no-such-service"))
