"""A courier agent: inspects and departs at the planned start, drives the manifest, reports.

It talks to the server only through its own signed-in API client, the way the courier's app
does: the manifest, the checklist, the departure gate, ping batches and stop events.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from routing.matrix import SpeedProfile
from simulator.client import ApiClient, ApiError
from simulator.day_model import DEPOT_KEY, Leg, Outcome, Place, Visit, drive, serve
from simulator.noise import NoiseModel


class Phase(enum.StrEnum):
    WAITING = "waiting"  # at the depot before the planned start
    DRIVING = "driving"
    AT_STOP = "at_stop"
    RETURNING = "returning"
    DONE = "done"  # back at the depot
    BROKEN_DOWN = "broken_down"
    NO_ROUTE = "no_route"  # a replan gave the vehicle's work to others before it left


FINISHED = frozenset({Phase.DONE, Phase.BROKEN_DOWN, Phase.NO_ROUTE})


@dataclass(frozen=True, slots=True)
class Timing:
    ping_every_s: int = 60
    # The app sends what it collected every few minutes, as phones do to save battery.
    ping_batch_s: int = 300


@dataclass
class _Stop:
    stop_id: int
    visit: Visit


@dataclass
class CourierAgent:
    api: ApiClient
    vehicle_id: int
    profile: SpeedProfile
    depot: Place
    noise: NoiseModel
    timing: Timing = field(default_factory=Timing)
    phase: Phase = Phase.WAITING
    route_id: int | None = None
    start_at: datetime | None = None
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    distance_m: float = 0.0
    events_sent: int = 0
    _queue: list[_Stop] = field(default_factory=list)
    _leg: Leg | None = None
    _target: _Stop | None = None
    _serving: Outcome | None = None
    _position: Place | None = None
    _pings: list[dict[str, Any]] = field(default_factory=list)
    _last_sample: datetime | None = None
    _last_flush: datetime | None = None

    @property
    def queue_length(self) -> int:
        """Stops still ahead of this courier."""
        return len(self._queue)

    @property
    def finished(self) -> bool:
        return self.phase in FINISHED

    def load_manifest(self) -> None:
        """Reads the courier's route (again, after a replan): the stops not done yet, in order."""
        try:
            manifest = self.api.get("/courier/me/route")
        except ApiError as exc:
            if exc.status != 404:
                raise
            self._queue = []
            if self.phase is Phase.WAITING:
                self.phase = Phase.NO_ROUTE
            return
        self.route_id = int(manifest["route_id"])
        self.start_at = datetime.fromisoformat(manifest["planned_start_at"])
        route = self.api.get(f"/routes/{self.route_id}")
        stop_of = {s["order_id"]: s for s in route["stops"]}
        queue = []
        for item in manifest["stops"]:
            order_id = int(item["order_id"])
            if order_id in self.outcomes:
                continue
            stop = stop_of[order_id]
            service_s = (
                datetime.fromisoformat(stop["planned_departure_at"])
                - datetime.fromisoformat(stop["planned_service_start_at"])
            ).total_seconds()
            windows = item["windows"]
            queue.append(
                _Stop(
                    int(stop["id"]),
                    Visit(
                        order_id,
                        Place(float(item["lat"]), float(item["lng"])),
                        datetime.fromisoformat(windows[0]["starts_at"]) if windows else None,
                        datetime.fromisoformat(windows[-1]["ends_at"]) if windows else None,
                        int(service_s),
                    ),
                )
            )
        self._queue = queue

    def refresh(self, at: datetime) -> None:
        """After a replan was applied: the new manifest, and a new heading if the next stop
        changed (a stop being served is finished first, as the replan assumes)."""
        if self.finished:
            return
        self.load_manifest()
        target = self._target
        if self.phase is Phase.AT_STOP and target is not None:
            self._queue = [s for s in self._queue if s.visit.order_id != target.visit.order_id]
        elif self.phase is Phase.DRIVING and target is not None:
            if self._queue and self._queue[0].visit.order_id == target.visit.order_id:
                self._target = self._queue.pop(0)  # same stop next: drive on
            else:
                # The stop driven to is no longer this courier's next one: turn towards the new.
                self._head_to_next(self._where(at), at)
        elif self.phase is Phase.RETURNING and self._queue:
            self._head_to_next(self._where(at), at)

    def break_down(self, at: datetime) -> None:
        """The vehicle stops where it is; what it carries stays on board."""
        if self.phase in FINISHED:
            return
        if self.phase is not Phase.WAITING:
            self._sample(at, force=True)
            self.distance_m += self._leg.distance_by(at) if self._leg else 0.0
        self._flush(at, force=True)
        self._leg = None
        self.phase = Phase.BROKEN_DOWN

    def advance(self, until: datetime) -> None:
        """Plays everything this courier does up to `until` (the server's clock)."""
        while not self.finished:
            if self.phase is Phase.WAITING:
                if self.start_at is None or self.start_at > until:
                    break
                self._depart(self.start_at)
            elif self.phase in (Phase.DRIVING, Phase.RETURNING):
                assert self._leg is not None
                self._sample_until(min(until, self._leg.end_at))
                if self._leg.end_at > until:
                    break
                self._arrive(self._leg.end_at)
            elif self.phase is Phase.AT_STOP:
                assert self._serving is not None
                self._sample_until(min(until, self._serving.done_at))
                if self._serving.done_at > until:
                    break
                self._finish_stop()
        self._flush(until)

    def _depart(self, at: datetime) -> None:
        if not self._queue:
            self.phase = Phase.NO_ROUTE
            return
        checklist = self.api.get(f"/vehicles/{self.vehicle_id}/checklist")
        self.api.send(
            "POST",
            f"/vehicles/{self.vehicle_id}/inspections",
            json={
                "performed_at": (at - timedelta(minutes=10)).isoformat(),
                "odometer_km": 40_000 + self.vehicle_id * 1_000,
                "items": [{"code": i["code"], "passed": True} for i in checklist["items"]],
            },
            headers={"Idempotency-Key": f"sim-inspect-{self.vehicle_id}-{at:%Y%m%d}"},
        )
        try:
            self.api.send(
                "POST",
                f"/routes/{self.route_id}/depart",
                headers={"Idempotency-Key": f"sim-depart-{self.route_id}"},
            )
        except ApiError as exc:
            if exc.code == "vehicle_out_of_service":
                self.phase = Phase.BROKEN_DOWN
                return
            raise
        self._position = self.depot
        self._head_to_next(self.depot, at)
        self._sample(at, force=True)

    def _head_to_next(self, here: Place, at: datetime) -> None:
        if self._queue:
            self._target = self._queue.pop(0)
            self._leg = self._drive(here, self._target.visit.place, at, self._target.visit.order_id)
            self.phase = Phase.DRIVING
        else:
            self._target = None
            self._leg = self._drive(here, self.depot, at, DEPOT_KEY)
            self.phase = Phase.RETURNING

    def _drive(self, here: Place, there: Place, at: datetime, key: int) -> Leg:
        return drive(
            here,
            there,
            at,
            profile=self.profile,
            noise=self.noise,
            vehicle_id=self.vehicle_id,
            key=key,
        )

    def _where(self, at: datetime) -> Place:
        """Where the courier is at `at`; the leg so far counts as driven."""
        if self._leg is None:
            return self._position or self.depot
        self.distance_m += self._leg.distance_by(at)
        return self._leg.position_at(at)

    def _arrive(self, at: datetime) -> None:
        assert self._leg is not None
        self.distance_m += self._leg.distance_m
        self._position = self._leg.end
        self._leg = None
        if self._target is None:
            self.phase = Phase.DONE
            self._sample(at, force=True)
            return
        self._sample(at, force=True)
        self._event(self._target, "arrived", at)
        self._serving = serve(self._target.visit, at, noise=self.noise, vehicle_id=self.vehicle_id)
        self.phase = Phase.AT_STOP

    def _finish_stop(self) -> None:
        outcome, target = self._serving, self._target
        assert outcome is not None
        assert target is not None
        if outcome.failure_reason is not None:
            self._event(target, "failed", outcome.done_at, failure_reason=outcome.failure_reason)
        else:
            self._event(target, "delivered", outcome.done_at, recipient_name="Recipient")
        self.outcomes[outcome.order_id] = outcome
        self._serving = None
        self._head_to_next(target.visit.place, outcome.done_at)

    def _event(self, stop: _Stop, kind: str, at: datetime, **extra: Any) -> None:
        place = stop.visit.place
        self.api.send(
            "POST",
            f"/courier/me/stops/{stop.stop_id}/events",
            json={
                # The same id for the same happening: a retry is recorded once.
                "client_event_id": f"sim-{stop.visit.order_id}-{kind}",
                "kind": kind,
                "occurred_at": at.isoformat(),
                "lat": place.lat,
                "lng": place.lng,
                **extra,
            },
        )
        self.events_sent += 1

    def _sample_until(self, until: datetime) -> None:
        step = timedelta(seconds=self.timing.ping_every_s)
        while self._last_sample is None or self._last_sample + step <= until:
            at = until if self._last_sample is None else self._last_sample + step
            self._sample(at)

    def _sample(self, at: datetime, *, force: bool = False) -> None:
        if not force and self._last_sample is not None and at <= self._last_sample:
            return
        place = self._leg.position_at(at) if self._leg else (self._position or self.depot)
        self._pings.append({"device_at": at.isoformat(), "lat": place.lat, "lng": place.lng})
        self._last_sample = at

    def _flush(self, at: datetime, *, force: bool = False) -> None:
        if not self._pings:
            return
        if self._last_flush is None:
            self._last_flush = at
        if not force and (at - self._last_flush).total_seconds() < self.timing.ping_batch_s:
            return
        self.api.send("POST", "/courier/me/pings", json={"pings": self._pings})
        self._pings = []
        self._last_flush = at
