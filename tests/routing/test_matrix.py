"""Travel matrix providers: geometry, units, caching and the OSRM client."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import numpy as np
import pytest

from routing.matrix import (
    CachedProvider,
    GeodesicProvider,
    HaversineProvider,
    InvalidLocations,
    MatrixServiceError,
    OsrmTableProvider,
    SpeedProfile,
    haversine_m,
    matrices_for,
)
from routing.problem import TravelMatrix

PARIS = (48.8566, 2.3522)
LONDON = (51.5074, -0.1278)
# A few points around Tallinn, a few kilometres apart.
TALLINN_LATS = [59.4370, 59.4272, 59.4480, 59.4135, 59.4398]
TALLINN_LNGS = [24.7536, 24.7450, 24.8650, 24.7060, 24.6900]
CAR = SpeedProfile("car", speed_kmh=36.0, detour_factor=1.0)


def test_paris_london_is_about_343_5_km() -> None:
    distance = haversine_m([PARIS[0], LONDON[0]], [PARIS[1], LONDON[1]])
    assert distance[0, 1] == pytest.approx(343_500, rel=0.005)


def test_haversine_is_symmetric_with_zero_diagonal_and_int64() -> None:
    rng = np.random.default_rng(7)
    lats = rng.uniform(-60, 60, 50)
    lngs = rng.uniform(-179, 179, 50)
    distance = haversine_m(lats, lngs)
    assert distance.dtype == np.int64
    assert distance.shape == (50, 50)
    assert (distance == distance.T).all()
    assert (np.diag(distance) == 0).all()
    assert (distance >= 0).all()


def test_antipodal_points_are_half_the_circumference_apart() -> None:
    distance = haversine_m([0.0, 0.0], [0.0, 180.0])
    assert distance[0, 1] == pytest.approx(np.pi * 6_371_008.8, abs=1)


@pytest.mark.alone
def test_haversine_of_two_thousand_locations_is_fast() -> None:
    rng = np.random.default_rng(1)
    lats = rng.uniform(42.6, 42.8, 2000)
    lngs = rng.uniform(23.2, 23.4, 2000)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        HaversineProvider().matrix(list(lats), list(lngs), CAR)
        timings.append(time.perf_counter() - started)
    # Best of three, so one unlucky scheduling hiccup on a busy machine does not fail the test.
    assert min(timings) < 0.5


def test_detour_factor_stretches_distance_and_duration() -> None:
    straight = HaversineProvider().matrix(TALLINN_LATS, TALLINN_LNGS, CAR)
    winding = HaversineProvider().matrix(
        TALLINN_LATS, TALLINN_LNGS, SpeedProfile("car", speed_kmh=36.0, detour_factor=1.5)
    )
    assert np.allclose(winding.distance_m, straight.distance_m * 1.5, atol=1)
    assert np.allclose(winding.duration_s, straight.duration_s * 1.5, atol=1)


def test_duration_is_distance_over_speed_in_whole_seconds() -> None:
    matrix = HaversineProvider().matrix(TALLINN_LATS, TALLINN_LNGS, CAR)
    assert matrix.duration_s.dtype == np.int64
    # 36 km/h is 10 m/s.
    assert np.abs(matrix.duration_s - matrix.distance_m / 10).max() <= 1
    assert (np.diag(matrix.duration_s) == 0).all()


def test_default_detour_factor_is_applied() -> None:
    profile = SpeedProfile("van", speed_kmh=30.0)
    matrix = HaversineProvider().matrix(TALLINN_LATS, TALLINN_LNGS, profile)
    great_circle = haversine_m(TALLINN_LATS, TALLINN_LNGS)
    assert np.allclose(matrix.distance_m, great_circle * 1.3, atol=1)


def test_returned_matrices_are_read_only() -> None:
    matrix = HaversineProvider().matrix(TALLINN_LATS, TALLINN_LNGS, CAR)
    with pytest.raises(ValueError, match="read-only"):
        matrix.distance_m[0, 1] = 0


def test_geodesic_is_close_to_haversine() -> None:
    geodesic = GeodesicProvider().matrix(TALLINN_LATS, TALLINN_LNGS, CAR)
    spherical = HaversineProvider().matrix(TALLINN_LATS, TALLINN_LNGS, CAR)
    off = np.abs(geodesic.distance_m - spherical.distance_m)
    # The sphere is off by at most ~0.5 % against the ellipsoid.
    assert (off <= 0.005 * spherical.distance_m + 1).all()
    assert (geodesic.distance_m == geodesic.distance_m.T).all()
    assert (np.diag(geodesic.distance_m) == 0).all()


def test_geodesic_refuses_large_sets() -> None:
    lats = [59.4 + i * 1e-4 for i in range(11)]
    lngs = [24.7] * 11
    with pytest.raises(InvalidLocations, match="limited to 10 locations, got 11"):
        GeodesicProvider(max_locations=10).matrix(lats, lngs, CAR)


@pytest.mark.parametrize(
    ("lats", "lngs", "message"),
    [
        ([91.0], [0.0], "out of range"),
        ([0.0], [-180.5], "out of range"),
        ([float("nan")], [0.0], "out of range"),
        ([0.0, 1.0], [0.0], "one latitude per longitude"),
    ],
)
def test_bad_coordinates_are_refused(lats: list[float], lngs: list[float], message: str) -> None:
    with pytest.raises(InvalidLocations, match=message):
        HaversineProvider().matrix(lats, lngs, CAR)


@pytest.mark.parametrize(("speed", "detour"), [(0.0, 1.3), (-5.0, 1.3), (30.0, 0.9)])
def test_speed_profile_rejects_nonsense(speed: float, detour: float) -> None:
    with pytest.raises(ValueError, match="profile 'x'"):
        SpeedProfile("x", speed_kmh=speed, detour_factor=detour)


def test_matrices_for_keys_matrices_by_profile_name() -> None:
    bike = SpeedProfile("bike", speed_kmh=15.0)
    matrices = matrices_for(HaversineProvider(), TALLINN_LATS, TALLINN_LNGS, [CAR, bike])
    assert set(matrices) == {"car", "bike"}
    assert (matrices["bike"].duration_s >= matrices["car"].duration_s).all()


class CountingProvider:
    def __init__(self) -> None:
        self.calls = 0

    def matrix(self, lats, lngs, profile: SpeedProfile) -> TravelMatrix:
        self.calls += 1
        return HaversineProvider().matrix(lats, lngs, profile)


def test_cache_serves_the_same_location_set_and_profile_once() -> None:
    inner = CountingProvider()
    cached = CachedProvider(inner)
    first = cached.matrix(TALLINN_LATS, TALLINN_LNGS, CAR)
    second = cached.matrix(list(TALLINN_LATS), list(TALLINN_LNGS), CAR)
    assert second is first
    assert (inner.calls, cached.hits, cached.misses) == (1, 1, 1)


def test_cache_keys_on_locations_and_profile() -> None:
    inner = CountingProvider()
    cached = CachedProvider(inner)
    cached.matrix(TALLINN_LATS, TALLINN_LNGS, CAR)
    cached.matrix(TALLINN_LATS, TALLINN_LNGS, SpeedProfile("car", speed_kmh=20.0))
    cached.matrix(TALLINN_LATS[:3], TALLINN_LNGS[:3], CAR)
    assert inner.calls == 3


def test_cache_evicts_the_least_recently_used_entry() -> None:
    inner = CountingProvider()
    cached = CachedProvider(inner, max_entries=2)
    a, b, c = ([59.40], [24.70]), ([59.41], [24.71]), ([59.42], [24.72])
    cached.matrix(*a, CAR)
    cached.matrix(*b, CAR)
    cached.matrix(*a, CAR)  # a is now the most recent
    cached.matrix(*c, CAR)  # evicts b
    cached.matrix(*a, CAR)
    assert inner.calls == 3
    cached.matrix(*b, CAR)
    assert inner.calls == 4


# --- OSRM -----------------------------------------------------------------------------------


class FakeOsrm(BaseHTTPRequestHandler):
    """Answers /table/v1 like OSRM: distances 1000*|i-j| m, durations 100*|i-j| s."""

    requests: ClassVar[list[str]] = []
    mode: ClassVar[str] = "ok"

    def do_GET(self) -> None:
        FakeOsrm.requests.append(self.path)
        path, _, query = self.path.partition("?")
        parts = path.split("/")
        if parts[1:3] != ["table", "v1"] or "annotations=duration,distance" not in query:
            self._send(400, {"code": "InvalidUrl", "message": "bad url"})
            return
        n = len(parts[4].split(";"))
        distances: list[list[Any]] = [[1000.4 * abs(i - j) for j in range(n)] for i in range(n)]
        durations: list[list[Any]] = [[100.0 * abs(i - j) for j in range(n)] for i in range(n)]
        if FakeOsrm.mode == "unroutable":
            distances[0][1] = None
            durations[0][1] = None
        if FakeOsrm.mode == "too_big":
            self._send(400, {"code": "TooBig", "message": "Too many table coordinates"})
        elif FakeOsrm.mode == "not_json":
            self.send_response(502)
            self.end_headers()
            self.wfile.write(b"<html>bad gateway</html>")
        elif FakeOsrm.mode == "short":
            self._send(200, {"code": "Ok", "distances": distances[:1], "durations": durations})
        else:
            self._send(200, {"code": "Ok", "distances": distances, "durations": durations})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def osrm_url() -> Iterator[str]:
    FakeOsrm.requests = []
    FakeOsrm.mode = "ok"
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsrm)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_osrm_table_is_parsed_into_int_matrices(osrm_url: str) -> None:
    provider = OsrmTableProvider(osrm_url, timeout_s=5, profile_names={"car": "driving"})
    matrix = provider.matrix(TALLINN_LATS[:3], TALLINN_LNGS[:3], CAR)
    assert matrix.distance_m.dtype == np.int64
    assert matrix.distance_m.tolist() == [[0, 1000, 2001], [1000, 0, 1000], [2001, 1000, 0]]
    assert matrix.duration_s.tolist() == [[0, 100, 200], [100, 0, 100], [200, 100, 0]]
    path = FakeOsrm.requests[0]
    # Longitude first, as OSRM wants it.
    assert path.startswith("/table/v1/driving/24.753600,59.437000;24.745000,59.427200;")
    assert "annotations=duration,distance" in path


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("too_big", "HTTP 400, code 'TooBig': Too many table coordinates"),
        ("not_json", "HTTP 502 with a body that is not JSON"),
        ("unroutable", "no route from location 0 to location 1"),
        ("short", "'distances' table of shape"),
    ],
)
def test_osrm_errors_are_reported(osrm_url: str, mode: str, message: str) -> None:
    FakeOsrm.mode = mode
    with pytest.raises(MatrixServiceError, match=message):
        OsrmTableProvider(osrm_url).matrix(TALLINN_LATS[:3], TALLINN_LNGS[:3], CAR)


def test_osrm_timeout_is_reported() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    provider = OsrmTableProvider(
        "http://osrm.invalid", timeout_s=0.5, transport=httpx.MockTransport(hang)
    )
    with pytest.raises(MatrixServiceError, match=r"did not answer within 0.5 s"):
        provider.matrix(TALLINN_LATS, TALLINN_LNGS, CAR)


def test_osrm_unreachable_server_is_reported() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    provider = OsrmTableProvider("http://osrm.invalid", transport=httpx.MockTransport(refuse))
    with pytest.raises(MatrixServiceError, match="unreachable: connection refused"):
        provider.matrix(TALLINN_LATS, TALLINN_LNGS, CAR)
