"""The life of a stop as its events move it along: a small pure state machine."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from infra.models import OrderKind, StopEventKind


class StopState(enum.StrEnum):
    PENDING = "pending"  # nothing reported yet
    ARRIVED = "arrived"
    DELIVERED = "delivered"
    FAILED = "failed"
    PICKED_UP = "picked_up"


TERMINAL = frozenset({StopState.DELIVERED, StopState.FAILED, StopState.PICKED_UP})

# (state, event) -> next state. A failed attempt may be reported without arriving
# (address not found, no access); delivery and pickup need an arrival first.
_TRANSITIONS: Mapping[tuple[StopState, StopEventKind], StopState] = {
    (StopState.PENDING, StopEventKind.ARRIVED): StopState.ARRIVED,
    (StopState.PENDING, StopEventKind.FAILED): StopState.FAILED,
    (StopState.ARRIVED, StopEventKind.DELIVERED): StopState.DELIVERED,
    (StopState.ARRIVED, StopEventKind.PICKUP_DONE): StopState.PICKED_UP,
    (StopState.ARRIVED, StopEventKind.FAILED): StopState.FAILED,
}
# Events that only make sense for one kind of order.
_ONLY_FOR: Mapping[StopEventKind, OrderKind] = {
    StopEventKind.DELIVERED: OrderKind.DELIVERY,
    StopEventKind.PICKUP_DONE: OrderKind.PICKUP,
}


def next_state(state: StopState, event: StopEventKind, order_kind: OrderKind) -> StopState | None:
    """The state after `event`, or None when the event is not allowed now."""
    required = _ONLY_FOR.get(event)
    if required is not None and required is not order_kind:
        return None
    return _TRANSITIONS.get((state, event))


def state_after(events: Iterable[StopEventKind], order_kind: OrderKind) -> StopState:
    """The state reached by replaying recorded (hence legal) events from the start."""
    state = StopState.PENDING
    for event in events:
        state = next_state(state, event, order_kind) or state
    return state


def is_done(state: StopState) -> bool:
    return state in TERMINAL
