"""The settable clock as the API shows it."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime

from api.schemas.common import RequestModel, ResponseModel


class ClockIn(RequestModel):
    now: AwareDatetime


class ClockOut(ResponseModel):
    now: datetime
    # The operation's time zone, in which the clock's day and the windows are local times.
    timezone: str

    @classmethod
    def of(cls, now: datetime, timezone: str) -> ClockOut:
        return cls(now=now.astimezone(UTC), timezone=timezone)
