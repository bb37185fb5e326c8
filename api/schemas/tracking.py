"""Courier reports (pings, stop events) and the ETAs of a route."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Self

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from api.schemas.common import Lat, Lng, Name, Notes, RequestModel, ResponseModel
from infra.models import FailureReason, StopEventKind
from tracking.etas import Origin, RouteEtas
from tracking.pings import PingBatchResult, PingIn
from tracking.stop_events import RecordedEvent, StopReport
from tracking.stop_states import StopState

MAX_PINGS_PER_BATCH = 1000


class PingBody(RequestModel):
    # Coordinates are checked per ping by the service, so one bad ping spoils no batch.
    device_at: AwareDatetime
    lat: float
    lng: float
    accuracy_m: Annotated[float, Field(ge=0, le=100_000)] | None = None
    speed_m_s: Annotated[float, Field(ge=0, le=1_000)] | None = None
    heading_deg: Annotated[float, Field(ge=0, le=360)] | None = None

    def to_domain(self) -> PingIn:
        return PingIn(
            device_at=self.device_at,
            lat=self.lat,
            lng=self.lng,
            accuracy_m=self.accuracy_m,
            speed_m_s=self.speed_m_s,
            heading_deg=self.heading_deg,
        )


class PingBatchIn(RequestModel):
    pings: Annotated[list[PingBody], Field(min_length=1, max_length=MAX_PINGS_PER_BATCH)]


class RejectedPingOut(ResponseModel):
    index: int
    reason: str


class PingBatchOut(ResponseModel):
    accepted: list[int]
    duplicates: list[int]
    rejected: list[RejectedPingOut]
    accepted_count: int
    duplicate_count: int
    rejected_count: int

    @classmethod
    def of(cls, result: PingBatchResult) -> PingBatchOut:
        return cls(
            accepted=result.accepted,
            duplicates=result.duplicates,
            rejected=[
                RejectedPingOut(index=r.index, reason=r.reason.value) for r in result.rejected
            ],
            accepted_count=len(result.accepted),
            duplicate_count=len(result.duplicates),
            rejected_count=len(result.rejected),
        )


class PositionOut(ResponseModel):
    device_at: datetime
    lat: float
    lng: float
    accuracy_m: float | None
    speed_m_s: float | None
    heading_deg: float | None


ClientEventId = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class StopEventIn(RequestModel):
    client_event_id: ClientEventId
    kind: StopEventKind
    occurred_at: AwareDatetime
    lat: Lat | None = None
    lng: Lng | None = None
    # Proof of delivery: who took the goods; a signature or photo stored elsewhere.
    recipient_name: Name | None = None
    signature_ref: Reference | None = None
    photo_ref: Reference | None = None
    failure_reason: FailureReason | None = None
    note: Notes | None = None

    @model_validator(mode="after")
    def _fits_the_kind(self) -> Self:
        if self.kind is StopEventKind.DELIVERED and self.recipient_name is None:
            raise ValueError("a delivery needs the recipient_name as proof")
        if self.kind is StopEventKind.FAILED and self.failure_reason is None:
            raise ValueError("a failed attempt needs a failure_reason")
        if self.kind is not StopEventKind.FAILED and self.failure_reason is not None:
            raise ValueError("failure_reason belongs to a failed attempt only")
        if (self.lat is None) != (self.lng is None):
            raise ValueError("lat and lng come together")
        return self

    def to_domain(self) -> StopReport:
        return StopReport(
            client_event_id=self.client_event_id,
            kind=self.kind,
            occurred_at=self.occurred_at,
            lat=self.lat,
            lng=self.lng,
            recipient_name=self.recipient_name,
            signature_ref=self.signature_ref,
            photo_ref=self.photo_ref,
            failure_reason=self.failure_reason,
            note=self.note,
        )


class StopEventOut(ResponseModel):
    id: int
    stop_id: int
    route_id: int
    order_id: int
    client_event_id: str
    kind: StopEventKind
    occurred_at: datetime
    recorded_at: datetime
    failure_reason: FailureReason | None
    # The stop's state right after this event.
    stop_state: StopState

    @classmethod
    def of(cls, recorded: RecordedEvent) -> StopEventOut:
        e = recorded.event
        return cls(
            id=e.id,
            stop_id=e.stop_id,
            route_id=e.route_id,
            order_id=e.order_id,
            client_event_id=e.client_event_id,
            kind=e.kind,
            occurred_at=e.occurred_at.astimezone(UTC),
            recorded_at=e.recorded_at.astimezone(UTC),
            failure_reason=e.failure_reason,
            stop_state=recorded.state,
        )


class StopEtaOut(ResponseModel):
    stop_id: int
    order_id: int
    sequence: int
    planned_arrival_at: datetime
    eta_at: datetime
    service_start_at: datetime
    departure_at: datetime
    window_end_at: datetime | None
    late_by_s: int
    projected_late: bool


class RouteEtasOut(ResponseModel):
    route_id: int
    computed_at: datetime
    # Actual over planned durations of the work done so far (1.0: on plan).
    delay_factor: float
    origin: Origin
    stops: list[StopEtaOut]

    @classmethod
    def of(cls, etas: RouteEtas) -> RouteEtasOut:
        return cls(
            route_id=etas.route.id,
            computed_at=etas.computed_at.astimezone(UTC),
            delay_factor=round(etas.delay_factor, 3),
            origin=etas.origin,
            stops=[
                StopEtaOut(
                    stop_id=s.stop.id,
                    order_id=s.order.id,
                    sequence=s.stop.sequence,
                    planned_arrival_at=s.stop.planned_arrival_at.astimezone(UTC),
                    eta_at=s.eta.arrival_at.astimezone(UTC),
                    service_start_at=s.eta.service_start_at.astimezone(UTC),
                    departure_at=s.eta.departure_at.astimezone(UTC),
                    window_end_at=s.eta.window_end_at.astimezone(UTC)
                    if s.eta.window_end_at
                    else None,
                    late_by_s=s.eta.late_by_s,
                    projected_late=s.eta.projected_late,
                )
                for s in etas.stops
            ],
        )
