"""The settable clock of a simulated day: read it, move it forward (admins, when enabled)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.auth import AdminActor
from api.deps import SettingsDep
from api.schemas.clock import ClockIn, ClockOut
from infra.clock import ClockNotSettable, SettableClock

router = APIRouter(prefix="/admin", tags=["admin"])


def _settable(request: Request) -> SettableClock:
    clock = request.app.state.clock
    if not isinstance(clock, SettableClock):
        # Answered like an unknown path: a production server does not admit it has this switch.
        raise ClockNotSettable(
            "this server runs on the real clock (SAMEDAY_OPERATION_SETTABLE_CLOCK is off)"
        )
    return clock


@router.get("/clock")
def get_clock(request: Request, settings: SettingsDep, _actor: AdminActor) -> ClockOut:
    """Admins, when the settable clock is on: the server's current (simulated) instant."""
    return ClockOut.of(_settable(request).now(), settings.operation.timezone)


@router.put("/clock")
def set_clock(
    payload: ClockIn, request: Request, settings: SettingsDep, _actor: AdminActor
) -> ClockOut:
    """Admins, when the settable clock is on: moves the server's clock forward to `now`
    (409 `clock_moved_backwards` for an earlier instant)."""
    return ClockOut.of(_settable(request).set(payload.now), settings.operation.timezone)
