"""Geocoding: addresses to coordinates through geopy, behind a Protocol tests can fake."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from geopy.exc import GeocoderNotFound, GeopyError
from geopy.geocoders import get_geocoder_for_service

from infra.errors import Unavailable
from infra.settings import GeocoderSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GeoPoint:
    lat: float
    lng: float


class Geocoder(Protocol):
    def locate(self, address: str) -> GeoPoint | None:
        """The best match for `address`, or None when the service knows no such place.

        Raises GeocoderUnavailable when the service cannot be asked.
        """
        ...


class GeocoderUnavailable(Unavailable):
    code = "geocoder_unavailable"
    title = "The geocoder is unavailable"


class GeopyGeocoder:
    """Any geopy geocoder; one request per address, with the configured timeout."""

    def __init__(self, service: Any, name: str) -> None:
        self._service = service
        self._name = name

    def locate(self, address: str) -> GeoPoint | None:
        try:
            found = self._service.geocode(address, exactly_one=True)
        except GeopyError as exc:
            log.warning("geocoder %s failed for an address: %s", self._name, exc)
            raise GeocoderUnavailable(
                f"the geocoder ({self._name}) did not answer; send coordinates instead or retry",
                geocoder=self._name,
            ) from exc
        if found is None:
            return None
        return GeoPoint(lat=float(found.latitude), lng=float(found.longitude))


def make_geocoder(settings: GeocoderSettings) -> Geocoder | None:
    """The configured geocoder, or None when none is configured (coordinates are then required).

    Raises ValueError for a provider name geopy does not know.
    """
    if settings.provider is None:
        return None
    try:
        service_class = get_geocoder_for_service(settings.provider)
    except GeocoderNotFound as exc:
        raise ValueError(f"unknown geocoder provider {settings.provider!r}") from exc
    options: dict[str, Any] = {"user_agent": settings.user_agent, "timeout": settings.timeout_s}
    if settings.api_key is not None:
        options["api_key"] = settings.api_key.get_secret_value()
    if settings.domain is not None:
        options["domain"] = settings.domain
    return GeopyGeocoder(service_class(**options), settings.provider)
