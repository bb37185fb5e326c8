from datetime import UTC, datetime, timedelta

from tracking.plausibility import Fix, Limits, PingRejection, Timeline, static_problem

NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
LIMITS = Limits(max_speed_m_s=150 / 3.6, max_future_skew_s=120)


def fix(seconds: int, lat: float = 52.5, lng: float = 13.4, accuracy_m: float = 0.0) -> Fix:
    return Fix(NOW + timedelta(seconds=seconds), lat, lng, accuracy_m)


def test_coordinates_out_of_range_are_refused():
    assert static_problem(fix(0, lat=91), now=NOW, limits=LIMITS) is (
        PingRejection.COORDINATES_OUT_OF_RANGE
    )
    assert static_problem(fix(0, lng=-181), now=NOW, limits=LIMITS) is (
        PingRejection.COORDINATES_OUT_OF_RANGE
    )


def test_a_device_time_far_in_the_future_is_refused_but_small_skew_is_not():
    assert static_problem(fix(121), now=NOW, limits=LIMITS) is PingRejection.DEVICE_TIME_IN_FUTURE
    assert static_problem(fix(60), now=NOW, limits=LIMITS) is None


def test_a_jump_faster_than_any_vehicle_is_refused():
    timeline = Timeline([fix(0)])
    # 0.1 degrees of latitude (about 11 km) in a minute.
    assert timeline.admit(fix(60, lat=52.6), LIMITS) is PingRejection.IMPLAUSIBLE_JUMP
    assert timeline.admit(fix(60, lat=52.505), LIMITS) is None


def test_a_late_ping_is_checked_against_both_neighbours_in_device_time():
    timeline = Timeline([fix(0), fix(120, lat=52.51)])
    assert timeline.admit(fix(60, lat=52.505), LIMITS) is None
    assert timeline.admit(fix(90, lat=52.7), LIMITS) is PingRejection.IMPLAUSIBLE_JUMP


def test_accuracy_absorbs_gps_noise_between_close_pings():
    timeline = Timeline([fix(0, accuracy_m=30)])
    # About 55 m in one second: impossible as a move, normal as noise of two 30 m fixes.
    assert timeline.admit(fix(1, lat=52.5005, accuracy_m=30), LIMITS) is None
