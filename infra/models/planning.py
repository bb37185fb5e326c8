"""Plans: a day's routes and their stops, the orders left out, and the jobs that compute them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infra.models.base import Base, str_enum, utcnow


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"  # a later plan for the same day and depot was published
    DISCARDED = "discarded"  # a proposed replan the dispatcher turned down, or that went stale


class RouteStatus(enum.StrEnum):
    PLANNED = "planned"
    DEPARTED = "departed"
    DONE = "done"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ReplanDecision(enum.StrEnum):
    ACCEPTED = "accepted"  # a dispatcher accepted the proposal
    APPLIED = "applied"  # applied automatically (the replanning setting says so)
    REJECTED = "rejected"  # a dispatcher turned it down
    STALE = "stale"  # the day moved on (another plan was published) before a decision


class ReplanTrigger(enum.StrEnum):
    """What set a replan off."""

    VEHICLE_OUT = "vehicle_out"  # a vehicle went out of service
    LATE = "late"  # a stop's ETA passed its window end by more than the threshold
    FAILED_ATTEMPT = "failed_attempt"
    URGENT_ORDER = "urgent_order"  # an order for today arrived after the plan was published
    MANUAL = "manual"  # a dispatcher asked for one


class JobKind(enum.StrEnum):
    PLAN = "plan"
    # Re-solves a plan's undeparted work after one of its vehicles went out of service.
    REPLAN = "replan"


class Plan(Base):
    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_date: Mapped[date] = mapped_column(index=True)
    # None: one plan for all depots.
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("depot.id"), index=True)
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus), default=PlanStatus.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    # A replan: the plan it revises.
    base_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    # Totals over all routes.
    total_distance_m: Mapped[int] = mapped_column(default=0)
    total_duration_s: Mapped[int] = mapped_column(default=0)
    total_cost_cents: Mapped[int] = mapped_column(default=0)
    orders_planned: Mapped[int] = mapped_column(default=0)
    orders_unserved: Mapped[int] = mapped_column(default=0)
    # What the solver reported.
    solver_status: Mapped[str | None] = mapped_column(String(64))
    solver_objective: Mapped[int | None]
    solve_time_ms: Mapped[int | None]

    routes: Mapped[list[Route]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Route.sequence"
    )
    unserved: Mapped[list[PlanUnserved]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanUnserved.id"
    )


class Route(Base):
    """One vehicle's (and its courier's) tour in a plan."""

    __tablename__ = "route"
    __table_args__ = (
        UniqueConstraint("plan_id", "sequence"),
        UniqueConstraint("plan_id", "vehicle_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    courier_id: Mapped[int | None] = mapped_column(ForeignKey("courier.id"), index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id"), index=True)
    # The route's number within the plan, from 1.
    sequence: Mapped[int]
    planned_start_at: Mapped[datetime]
    planned_end_at: Mapped[datetime]
    distance_m: Mapped[int]
    duration_s: Mapped[int]
    status: Mapped[RouteStatus] = mapped_column(str_enum(RouteStatus), default=RouteStatus.PLANNED)
    departed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    plan: Mapped[Plan] = relationship(back_populates="routes")
    stops: Mapped[list[Stop]] = relationship(
        back_populates="route", cascade="all, delete-orphan", order_by="Stop.sequence"
    )


class Stop(Base):
    __tablename__ = "stop"
    __table_args__ = (UniqueConstraint("route_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("route.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    # Position on the route, from 1.
    sequence: Mapped[int]
    # The first stop row of this visit when a replan carried it over from an earlier plan
    # version (None: this row is the first). Events recorded on any row of the chain count for
    # all of them, so a stop done before a replan stays done after it.
    origin_stop_id: Mapped[int | None] = mapped_column(ForeignKey("stop.id"), index=True)
    planned_arrival_at: Mapped[datetime]
    # Later than the arrival when the courier waits for the window to open.
    planned_service_start_at: Mapped[datetime]
    planned_departure_at: Mapped[datetime]
    # What is on board when the vehicle leaves this stop.
    load_weight_g_after: Mapped[int]
    load_volume_cm3_after: Mapped[int]
    load_parcels_after: Mapped[int]

    route: Mapped[Route] = relationship(back_populates="stops")


class PlanUnserved(Base):
    """An order a plan leaves out, and why (a routing.UnassignedReason value)."""

    __tablename__ = "plan_unserved"
    __table_args__ = (UniqueConstraint("plan_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    reason_code: Mapped[str] = mapped_column(String(64))
    reason_text: Mapped[str] = mapped_column(String(500))

    plan: Mapped[Plan] = relationship(back_populates="unserved")


class PlanJob(Base):
    """The record of truth for one plan computation, whoever runs it.

    A runner claims a queued job by setting `lease_owner` and `lease_expires_at`, renews the
    lease with each heartbeat, and a job whose lease ran out may be claimed again
    (`attempts` counts the claims).
    """

    __tablename__ = "plan_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_date: Mapped[date] = mapped_column(index=True)
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("depot.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[JobStatus] = mapped_column(
        str_enum(JobStatus), default=JobStatus.QUEUED, index=True
    )
    kind: Mapped[JobKind] = mapped_column(str_enum(JobKind), default=JobKind.PLAN)
    # Why the job was started, for a replan: what happened to which vehicle.
    reason: Mapped[str | None] = mapped_column(String(500))
    # A replan starts from this plan's routes and stores the next version of it.
    base_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    # A replan takes this vehicle's route away.
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    # What a finished replan could not re-assign, order by order, with reasons.
    outcome: Mapped[str | None] = mapped_column(Text)
    trigger: Mapped[ReplanTrigger | None] = mapped_column(str_enum(ReplanTrigger, length=32))
    # The before/after difference of a finished replan (stops moved, lateness, km, ETA changes).
    diff: Mapped[Any] = mapped_column(JSON, nullable=True)
    decision: Mapped[ReplanDecision | None] = mapped_column(str_enum(ReplanDecision))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    progress_percent: Mapped[int] = mapped_column(default=0)
    time_limit_s: Mapped[int]
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
