"""Travel matrices between locations: great-circle estimates, exact geodesics, or an OSRM server.

Every provider returns a `TravelMatrix` of int64 metres and whole seconds whose arrays are
read-only, so one matrix can be cached and shared between solves without defensive copies.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import numpy as np
import numpy.typing as npt
from geopy.distance import geodesic

from routing.problem import IntMatrix, TravelMatrix

# Mean Earth radius (IUGG), the usual choice for the spherical approximation.
EARTH_RADIUS_M = 6_371_008.8

FloatArray = npt.NDArray[np.float64]
Coordinates = Sequence[float] | FloatArray


class InvalidLocations(ValueError):
    """The coordinates given to a provider are unusable (mismatched, out of range, too many)."""


class MatrixServiceError(RuntimeError):
    """A routing service did not deliver a usable matrix."""


@dataclass(frozen=True, slots=True)
class SpeedProfile:
    """How one kind of vehicle moves: road distance = detour_factor * great-circle distance."""

    name: str
    speed_kmh: float
    detour_factor: float = 1.3

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a speed profile needs a name")
        if not (math.isfinite(self.speed_kmh) and self.speed_kmh > 0):
            raise ValueError(f"profile {self.name!r}: speed must be positive, not {self.speed_kmh}")
        if not (math.isfinite(self.detour_factor) and self.detour_factor >= 1.0):
            raise ValueError(
                f"profile {self.name!r}: detour factor must be at least 1, not {self.detour_factor}"
            )

    @property
    def speed_m_per_s(self) -> float:
        return self.speed_kmh / 3.6


class MatrixProvider(Protocol):
    def matrix(
        self, lats: Sequence[float], lngs: Sequence[float], profile: SpeedProfile
    ) -> TravelMatrix: ...


def haversine_m(lats: Coordinates, lngs: Coordinates) -> IntMatrix:
    """Great-circle distance in whole metres between every pair of points, by broadcasting."""
    lat, lng = _checked_coordinates(lats, lngs)
    return np.rint(_haversine_float_m(lat, lng)).astype(np.int64)


def travel_matrix(road_distance_m: FloatArray, profile: SpeedProfile) -> TravelMatrix:
    """Round road distances to metres and derive durations at the profile's speed."""
    distance_m = np.rint(road_distance_m).astype(np.int64)
    duration_s = np.rint(road_distance_m / profile.speed_m_per_s).astype(np.int64)
    return _frozen(distance_m, duration_s)


def matrices_for(
    provider: MatrixProvider,
    lats: Sequence[float],
    lngs: Sequence[float],
    profiles: Iterable[SpeedProfile],
) -> dict[str, TravelMatrix]:
    """One matrix per profile, keyed by profile name as `Problem.matrices` expects."""
    result: dict[str, TravelMatrix] = {}
    for profile in profiles:
        if profile.name in result:
            raise ValueError(f"two speed profiles are named {profile.name!r}")
        result[profile.name] = provider.matrix(lats, lngs, profile)
    return result


class HaversineProvider:
    """Great-circle distance stretched by the profile's detour factor; fast for any size."""

    def matrix(
        self, lats: Sequence[float], lngs: Sequence[float], profile: SpeedProfile
    ) -> TravelMatrix:
        lat, lng = _checked_coordinates(lats, lngs)
        return travel_matrix(_haversine_float_m(lat, lng) * profile.detour_factor, profile)


class GeodesicProvider:
    """Ellipsoidal (WGS-84) distances via geopy, pair by pair: exact but slow, for small sets."""

    def __init__(self, max_locations: int = 250) -> None:
        self.max_locations = max_locations

    def matrix(
        self, lats: Sequence[float], lngs: Sequence[float], profile: SpeedProfile
    ) -> TravelMatrix:
        lat, lng = _checked_coordinates(lats, lngs)
        n = lat.size
        if n > self.max_locations:
            raise InvalidLocations(
                f"geodesic matrices are computed pair by pair and are limited to "
                f"{self.max_locations} locations, got {n}; use HaversineProvider for large sets"
            )
        geodesic_m = np.zeros((n, n), dtype=np.float64)
        for i in range(n):
            for j in range(i + 1, n):
                metres = geodesic((lat[i], lng[i]), (lat[j], lng[j])).meters
                geodesic_m[i, j] = geodesic_m[j, i] = metres
        return travel_matrix(geodesic_m * profile.detour_factor, profile)


class OsrmTableProvider:
    """Road distances and durations from an OSRM-compatible `/table/v1` service.

    The server's own profile decides speeds, so the SpeedProfile only names which server profile
    to ask for (through `profile_names`, default: the same name); its speed and detour factor are
    ignored. The server's table size limit (`--max-table-size`) applies.
    """

    def __init__(
        self,
        base_url: str,
        timeout_s: float = 10.0,
        *,
        profile_names: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.profile_names = dict(profile_names or {})
        self._transport = transport

    def matrix(
        self, lats: Sequence[float], lngs: Sequence[float], profile: SpeedProfile
    ) -> TravelMatrix:
        lat, lng = _checked_coordinates(lats, lngs)
        n = lat.size
        if n == 0:
            return _frozen(np.zeros((0, 0), np.int64), np.zeros((0, 0), np.int64))
        server_profile = self.profile_names.get(profile.name, profile.name)
        coordinates = ";".join(f"{x:.6f},{y:.6f}" for x, y in zip(lng, lat, strict=True))
        # Written out rather than passed as params: httpx would escape the comma as %2C.
        url = (
            f"{self.base_url}/table/v1/{server_profile}/{coordinates}?annotations=duration,distance"
        )
        try:
            with httpx.Client(timeout=self.timeout_s, transport=self._transport) as client:
                response = client.get(url)
        except httpx.TimeoutException as exc:
            raise MatrixServiceError(
                f"OSRM at {self.base_url} did not answer within {self.timeout_s} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise MatrixServiceError(f"OSRM at {self.base_url} is unreachable: {exc}") from exc
        return _parse_osrm_table(response, n, self.base_url)


class CachedProvider:
    """Remembers the matrices of recent (location set, profile) pairs of an inner provider."""

    def __init__(self, inner: MatrixProvider, max_entries: int = 16) -> None:
        self.inner = inner
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[
            tuple[tuple[float, ...], tuple[float, ...], SpeedProfile], TravelMatrix
        ] = OrderedDict()
        self._lock = threading.Lock()

    def matrix(
        self, lats: Sequence[float], lngs: Sequence[float], profile: SpeedProfile
    ) -> TravelMatrix:
        key = (tuple(map(float, lats)), tuple(map(float, lngs)), profile)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return cached
            self.misses += 1
        # Computed outside the lock: a slow OSRM call must not block other location sets.
        computed = self.inner.matrix(lats, lngs, profile)
        with self._lock:
            self._entries[key] = computed
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return computed

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _haversine_float_m(lat_deg: FloatArray, lng_deg: FloatArray) -> FloatArray:
    half_lat = np.radians(lat_deg) * 0.5
    half_lng = np.radians(lng_deg) * 0.5
    # sin((x_i - x_j) / 2) expanded into outer products, so the only transcendental function
    # evaluated on the n x n grid is the final arcsin; the result stays exactly antisymmetric.
    sin_dlat = _sin_of_differences(half_lat)
    sin_dlng = _sin_of_differences(half_lng)
    cos_lat = np.cos(2.0 * half_lat)
    a = np.square(sin_dlat, out=sin_dlat)
    np.square(sin_dlng, out=sin_dlng)
    sin_dlng *= np.multiply.outer(cos_lat, cos_lat)
    a += sin_dlng
    del sin_dlng
    # Rounding can push `a` a hair above 1 for antipodal points; arcsin would return NaN.
    np.clip(a, 0.0, 1.0, out=a)
    np.sqrt(a, out=a)
    np.arcsin(a, out=a)
    a *= 2.0 * EARTH_RADIUS_M
    return a


def _sin_of_differences(x: FloatArray) -> FloatArray:
    sin_x = np.sin(x)
    cos_x = np.cos(x)
    result = np.multiply.outer(sin_x, cos_x)
    result -= np.multiply.outer(cos_x, sin_x)
    return result


def _checked_coordinates(lats: Coordinates, lngs: Coordinates) -> tuple[FloatArray, FloatArray]:
    lat = np.asarray(lats, dtype=np.float64)
    lng = np.asarray(lngs, dtype=np.float64)
    if lat.ndim != 1 or lng.ndim != 1 or lat.shape != lng.shape:
        raise InvalidLocations(
            f"need one latitude per longitude, got shapes {lat.shape} and {lng.shape}"
        )
    bad = ~(np.isfinite(lat) & np.isfinite(lng) & (np.abs(lat) <= 90) & (np.abs(lng) <= 180))
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise InvalidLocations(
            f"location {index} has coordinates out of range: lat={lat[index]}, lng={lng[index]}"
        )
    return lat, lng


def _frozen(distance_m: IntMatrix, duration_s: IntMatrix) -> TravelMatrix:
    distance_m.flags.writeable = False
    duration_s.flags.writeable = False
    return TravelMatrix(distance_m=distance_m, duration_s=duration_s)


def _parse_osrm_table(response: httpx.Response, n: int, base_url: str) -> TravelMatrix:
    try:
        body: Any = response.json()
    except ValueError as exc:
        raise MatrixServiceError(
            f"OSRM at {base_url} answered HTTP {response.status_code} with a body that is not JSON"
        ) from exc
    code = body.get("code") if isinstance(body, dict) else None
    if response.status_code != 200 or code != "Ok":
        message = body.get("message", "") if isinstance(body, dict) else ""
        raise MatrixServiceError(
            f"OSRM at {base_url} refused the table request: HTTP {response.status_code}, "
            f"code {code!r}" + (f": {message}" if message else "")
        )
    distance = _osrm_array(body, "distances", n, base_url)
    duration = _osrm_array(body, "durations", n, base_url)
    unroutable = np.isnan(distance) | np.isnan(duration)
    if unroutable.any():
        i, j = (int(k) for k in np.argwhere(unroutable)[0])
        raise MatrixServiceError(
            f"OSRM at {base_url} found no route from location {i} to location {j} "
            f"({int(unroutable.sum())} pairs unroutable)"
        )
    return _frozen(np.rint(distance).astype(np.int64), np.rint(duration).astype(np.int64))


def _osrm_array(body: Mapping[str, Any], key: str, n: int, base_url: str) -> FloatArray:
    rows = body.get(key)
    try:
        # None (no route) becomes NaN; everything else must be a number.
        array = np.array(
            [[math.nan if v is None else float(v) for v in row] for row in rows or []],
            dtype=np.float64,
        )
    except (TypeError, ValueError) as exc:
        raise MatrixServiceError(f"OSRM at {base_url} sent a malformed {key!r} table") from exc
    if array.shape != (n, n):
        raise MatrixServiceError(
            f"OSRM at {base_url} sent a {key!r} table of shape {array.shape}, expected {(n, n)}"
        )
    if (array < 0).any():
        raise MatrixServiceError(f"OSRM at {base_url} sent negative {key}")
    return array
