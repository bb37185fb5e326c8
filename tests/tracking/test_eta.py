from datetime import UTC, datetime, timedelta

from tracking.eta import RemainingStop, Sample, delay_factor, project

T0 = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_the_delay_factor_is_actual_over_planned_and_bounded():
    assert delay_factor([Sample(600, 900)], min_factor=0.8, max_factor=2.0) == 1.5
    assert delay_factor([Sample(600, 6000)], min_factor=0.8, max_factor=2.0) == 2.0
    assert delay_factor([Sample(600, 60)], min_factor=0.8, max_factor=2.0) == 0.8


def test_the_delay_factor_is_neutral_until_enough_work_is_done():
    assert delay_factor([], min_factor=0.8, max_factor=2.0) == 1.0
    assert delay_factor([Sample(60, 600)], min_factor=0.8, max_factor=2.0) == 1.0


def test_etas_chain_travel_and_service_at_the_observed_pace():
    stops = [RemainingStop(1, service_s=300), RemainingStop(2, service_s=300)]

    etas = project(stops, [600, 600], start_at=T0, now=T0, factor=1.5, lateness_threshold_s=0)

    assert [e.arrival_at for e in etas] == [at(15), at(37.5)]


def test_a_stop_waits_for_its_window_to_open():
    stops = [RemainingStop(1, service_s=300, windows=((at(60), at(120)),))]

    (only,) = project(stops, [600], start_at=T0, now=T0, factor=1.0, lateness_threshold_s=0)

    assert only.service_start_at == at(60)
    assert only.departure_at == at(65)
    assert not only.projected_late


def test_an_arrival_past_the_window_by_more_than_the_threshold_is_projected_late():
    windows = ((at(0), at(5)),)
    stops = [RemainingStop(1, service_s=0, windows=windows)]

    (slightly,) = project(stops, [600], start_at=T0, now=T0, factor=1.0, lateness_threshold_s=600)
    (clearly,) = project(stops, [1800], start_at=T0, now=T0, factor=1.0, lateness_threshold_s=600)

    assert slightly.late_by_s == 300
    assert not slightly.projected_late
    assert clearly.late_by_s == 1500
    assert clearly.projected_late


def test_no_arrival_is_projected_in_the_past_and_an_arrived_stop_keeps_its_arrival():
    stops = [RemainingStop(1, service_s=600, arrived_at=at(30)), RemainingStop(2, service_s=0)]

    etas = project(stops, [0, 600], start_at=T0, now=at(35), factor=1.0, lateness_threshold_s=0)

    assert etas[0].arrival_at == at(30)
    assert etas[0].departure_at == at(40)
    assert etas[1].arrival_at == at(50)
