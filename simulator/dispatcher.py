"""The dispatcher agent: publishes the day, breaks a vehicle down, takes urgent orders,
decides the proposed replans by one rule (accept unless lateness grows), logging each call,
and answers the customers' complaints."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from infra.models import ComplaintStatus
from simulator.client import ApiClient, SimulationError
from simulator.day_model import Place
from simulator.noise import NoiseModel

# Replans still waiting for the runner or running.
_OPEN = frozenset({"queued", "running"})
_APPLIED = frozenset({"applied", "accepted"})
# The dispatcher looks at the complaints inbox this often.
COMPLAINTS_EVERY = timedelta(minutes=15)
_RESPONSES = {
    ComplaintStatus.RESOLVED: "We are sorry. The courier's day ran late; we have credited you.",
    ComplaintStatus.REJECTED: "Our records show the parcel was handed over in good order.",
    ComplaintStatus.IN_PROGRESS: "Thank you; we are looking into it and will write again.",
}


@dataclass(frozen=True, slots=True)
class Decision:
    at: datetime
    job_id: int
    trigger: str | None
    decision: str
    summary: str


@dataclass
class Dispatcher:
    api: ApiClient
    day: date
    log: list[Decision] = field(default_factory=list)
    # Replans whose new plan the couriers already know about.
    _seen_applied: set[int] = field(default_factory=set)
    _left_behind: set[int] = field(default_factory=set)
    _inbox_read_at: datetime | None = None

    def published_plan(self, *, time_limit_s: int) -> int:
        """The day's published plan: the newest draft is published if none is, and a plan is
        made first if there is not even a draft."""
        found = self.api.get("/plans", params={"service_date": self.day.isoformat()})
        published = [p for p in found if p["status"] == "published"]
        if published:
            return int(published[0]["id"])
        drafts = [p for p in found if p["status"] == "draft"]
        if not drafts:
            job = self.api.send(
                "POST",
                "/plans",
                json={"service_date": self.day.isoformat(), "time_limit_s": time_limit_s},
            )
            plan_id = self._wait_for_job(int(job["id"]), timeout_s=time_limit_s + 120)
        else:
            plan_id = int(drafts[0]["id"])
        self.api.send("POST", f"/plans/{plan_id}/publish")
        return plan_id

    def _wait_for_job(self, job_id: int, *, timeout_s: float) -> int:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = self.api.get(f"/plan-jobs/{job_id}")
            if job["status"] == "succeeded" and job["plan_id"] is not None:
                return int(job["plan_id"])
            if job["status"] == "failed":
                raise SimulationError(f"planning the day failed: {job['error']}")
            time.sleep(0.3)
        raise SimulationError(f"plan job {job_id} did not finish within {timeout_s:.0f} s")

    def plan(self, plan_id: int) -> dict[str, Any]:
        plan: dict[str, Any] = self.api.get(f"/plans/{plan_id}")
        return plan

    def break_down(self, vehicle_id: int) -> None:
        """Out of service: the server replans the vehicle's work at once."""
        self.api.send("PATCH", f"/vehicles/{vehicle_id}", json={"status": "out_of_service"})

    def take_urgent_orders(
        self, noise: NoiseModel, depots: dict[int, Place], count: int, local_now: datetime
    ) -> list[int]:
        """A handful of orders phoned in at midday for this afternoon (`local_now` is in the
        operation's zone), in one file so that they ask for one replan together."""
        rng = noise.urgent_rng()
        first, last = min(local_now.hour + 1, 21), min(local_now.hour + 5, 23)
        rows = []
        depot_ids = sorted(depots)
        for k in range(count):
            depot_id = depot_ids[k % len(depot_ids)]
            depot = depots[depot_id]
            rows.append(
                {
                    "reference": f"SIM-URGENT-{self.day:%Y%m%d}-{k + 1}",
                    "recipient_name": f"Urgent customer {k + 1}",
                    "lat": f"{depot.lat + rng.uniform(-0.03, 0.03):.5f}",
                    "lng": f"{depot.lng + rng.uniform(-0.06, 0.06):.5f}",
                    "weight_kg": f"{rng.uniform(0.5, 8):.1f}",
                    "windows": f"{first:02d}:00-{last:02d}:00",
                    "service_s": "180",
                    "depot_id": str(depot_id),
                }
            )
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        accepted = self.api.send(
            "POST",
            "/orders/bulk",
            files={"file": ("urgent.csv", buffer.getvalue().encode(), "text/csv")},
            headers={"Idempotency-Key": f"sim-urgent-{self.day:%Y%m%d}"},
        )
        return [int(o["id"]) for o in accepted["orders"]]

    def answer_complaints(self, noise: NoiseModel, now: datetime) -> None:
        """Every quarter of an hour: each open complaint whose time has come (drawn per
        order) is answered, and resolved, rejected or left in progress."""
        if self._inbox_read_at is not None and now - self._inbox_read_at < COMPLAINTS_EVERY:
            return
        self._inbox_read_at = now
        for complaint in self.api.get("/complaints", params={"status": "open"}):
            after_min, status = noise.answer(int(complaint["order_id"]))
            opened_at = datetime.fromisoformat(complaint["created_at"])
            if opened_at + timedelta(minutes=after_min) > now:
                continue
            self.api.send(
                "PATCH",
                f"/complaints/{complaint['id']}",
                json={"status": status, "response": _RESPONSES[status]},
            )

    def replans(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.api.get("/replans", params={"day": self.day.isoformat()})
        return found

    def settle(self, now: datetime, *, timeout_s: float) -> bool:
        """Waits for the replans under way (at most `timeout_s`), decides the proposals; True
        when a new plan was applied since the last call (couriers must read their manifests
        again).

        A job still open after the wait is left behind and noted once: if its runner lost it,
        only the clock moving on lets the job's lease expire so that it is failed.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            jobs = self.replans()
            open_jobs = [j for j in jobs if j["status"] in _OPEN]
            if not open_jobs:
                break
            if time.monotonic() > deadline:
                for job in open_jobs:
                    if int(job["id"]) not in self._left_behind:
                        self._left_behind.add(int(job["id"]))
                        self.log.append(
                            Decision(
                                now,
                                int(job["id"]),
                                job["trigger"],
                                f"still {job['status']} after {timeout_s:.0f} s; the day went on",
                                str(job.get("reason") or ""),
                            )
                        )
                break
            time.sleep(0.2)
        decided = False
        for job in sorted(jobs, key=lambda j: int(j["id"])):
            if job["status"] == "succeeded" and job["decision"] is None:
                self._decide(job, now)
                decided = True
        if decided:
            jobs = self.replans()
        applied = {int(j["id"]) for j in jobs if j["decision"] in _APPLIED}
        new = applied - self._seen_applied
        for job in jobs:
            if int(job["id"]) in new and job["decision"] == "applied":
                self.log.append(
                    Decision(now, int(job["id"]), job["trigger"], "applied", _summary(job))
                )
        self._seen_applied |= applied
        return bool(new)

    def _decide(self, job: dict[str, Any], now: datetime) -> None:
        diff = job["diff"] or {}
        keeps_promises = (
            diff.get("late_stops_after", 0) <= diff.get("late_stops_before", 0)
            and diff.get("lateness_min_after", 0) <= diff.get("lateness_min_before", 0)
            and not diff.get("no_longer_served")
        )
        verb = "accept" if keeps_promises else "reject"
        try:
            self.api.send("POST", f"/replans/{job['id']}/{verb}")
        except SimulationError as exc:
            # The day overtook it (a route departed meanwhile): it is stale, not an error.
            verb = f"could not {verb}: {exc}"
        self.log.append(
            Decision(
                now,
                int(job["id"]),
                job["trigger"],
                f"{verb}ed" if " " not in verb else verb,
                _summary(job),
            )
        )


def _summary(job: dict[str, Any]) -> str:
    diff = job.get("diff") or {}
    return str(diff.get("summary") or job.get("outcome") or job.get("reason") or "")
