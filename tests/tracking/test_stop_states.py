import pytest

from infra.models import OrderKind, StopEventKind
from tracking.stop_states import StopState, next_state, state_after

E = StopEventKind
S = StopState


@pytest.mark.parametrize(
    ("state", "event", "after"),
    [
        (S.PENDING, E.ARRIVED, S.ARRIVED),
        (S.ARRIVED, E.DELIVERED, S.DELIVERED),
        (S.ARRIVED, E.FAILED, S.FAILED),
        (S.PENDING, E.FAILED, S.FAILED),
    ],
)
def test_legal_delivery_transitions(state, event, after):
    assert next_state(state, event, OrderKind.DELIVERY) is after


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (S.PENDING, E.DELIVERED),
        (S.ARRIVED, E.ARRIVED),
        (S.DELIVERED, E.FAILED),
        (S.DELIVERED, E.ARRIVED),
        (S.FAILED, E.DELIVERED),
        (S.FAILED, E.ARRIVED),
    ],
)
def test_no_delivery_before_arrival_and_nothing_after_a_terminal_state(state, event):
    assert next_state(state, event, OrderKind.DELIVERY) is None


def test_pickup_done_is_for_returns_only_and_delivered_for_deliveries_only():
    assert next_state(S.ARRIVED, E.PICKUP_DONE, OrderKind.PICKUP) is S.PICKED_UP
    assert next_state(S.ARRIVED, E.PICKUP_DONE, OrderKind.DELIVERY) is None
    assert next_state(S.ARRIVED, E.DELIVERED, OrderKind.PICKUP) is None


def test_the_state_is_the_replay_of_the_events():
    assert state_after([], OrderKind.DELIVERY) is S.PENDING
    assert state_after([E.ARRIVED, E.DELIVERED], OrderKind.DELIVERY) is S.DELIVERED
