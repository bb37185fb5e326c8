"""The day's loop: moves the server's clock in fixed steps and lets every agent act in each."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as wall_time
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from dispatch.demo_day import PASSWORDS
from simulator.client import ApiClient, ApiError, SimulationError
from simulator.counterfactual import Breakdown, PlannedRoute
from simulator.courier import CourierAgent, Phase, Timing
from simulator.customers import Customers, codes_of, serve_customers
from simulator.day_model import Place, Visit, profile_of
from simulator.dispatcher import Decision, Dispatcher
from simulator.noise import NoiseModel


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    url: str = "http://127.0.0.1:8000"
    seed: int = 0
    step_s: int = 60
    start: wall_time = wall_time(7, 30)
    # The late shift serves windows until 21:00 and drives back after.
    until: wall_time = wall_time(22, 0)
    breakdown_at: wall_time = wall_time(10, 30)
    urgent_at: wall_time = wall_time(12, 0)
    # None: about one urgent order per 80 of the day, at least two.
    urgent_orders: int | None = None
    # Simulated seconds per real second; 0 runs as fast as the server answers.
    speed: float = 0.0
    # Solver time limit when the day has no plan yet.
    plan_time_limit_s: int = 10
    # Real seconds to wait for a replan before the day goes on (one takes about 2 s).
    replan_timeout_s: float = 30.0
    timing: Timing = field(default_factory=Timing)
    admin: tuple[str, str] = ("admin", PASSWORDS["admin"])
    dispatcher: tuple[str, str] = ("dispatcher", PASSWORDS["dispatcher"])
    courier_password: str = PASSWORDS["courier"]


@dataclass
class SimulationRun:
    """What the day produced, for the report."""

    day: date
    zone: ZoneInfo
    started_at: datetime
    ended_at: datetime
    plan_id: int
    original_routes: list[PlannedRoute]
    # The orders in play: the first plan's (routed or not) and the urgent ones.
    order_refs: dict[int, str]
    windows: dict[int, tuple[datetime | None, datetime | None]]
    urgent_order_ids: list[int]
    breakdown: Breakdown | None
    agents: list[CourierAgent]
    decisions: list[Decision]
    replans: list[dict[str, Any]]
    orders_at_end: dict[int, str]
    noise: NoiseModel
    # What the customers did (ratings by order) and the server's complaints and compensation
    # of the orders in play at the end.
    ratings: dict[int, int]
    complaints: list[dict[str, Any]]
    compensations: list[dict[str, Any]]


Progress = Callable[[datetime, datetime, datetime], None]


def simulate(config: SimulationConfig, progress: Progress | None = None) -> SimulationRun:
    """Plays the day against the server at `config.url`. Raises SimulationError."""
    with httpx.Client(base_url=config.url, timeout=60.0) as http:
        try:
            http.get("/health").raise_for_status()
        except httpx.HTTPError as exc:
            raise SimulationError(
                f"no sameday server answers at {config.url} ({exc}); start one with "
                "`sameday demo --settable-clock`"
            ) from exc
        admin = ApiClient(http, *config.admin)
        try:
            clock = admin.get("/admin/clock")
        except ApiError as exc:
            if exc.status == 404:
                raise SimulationError(
                    f"the server at {config.url} runs on the real clock; a day can only be "
                    "played against a settable one: `sameday demo --settable-clock`"
                ) from exc
            raise
        return _play(http, admin, clock, config, progress)


def _play(
    http: httpx.Client,
    admin: ApiClient,
    clock: dict[str, Any],
    config: SimulationConfig,
    progress: Progress | None,
) -> SimulationRun:
    zone = ZoneInfo(str(clock["timezone"]))
    server_now = datetime.fromisoformat(clock["now"])
    day = server_now.astimezone(zone).date()
    start = max(datetime.combine(day, config.start, tzinfo=zone), server_now)
    end = datetime.combine(day, config.until, tzinfo=zone)
    if start >= end:
        raise SimulationError(
            f"the server's clock is at {server_now.astimezone(zone):%H:%M} on {day}, past the "
            f"end of the simulated day ({config.until:%H:%M}); restart the demo to play it again"
        )

    def set_clock(at: datetime) -> None:
        admin.send("PUT", "/admin/clock", json={"now": at.isoformat()})

    set_clock(start)
    noise = NoiseModel(seed=config.seed)
    dispatcher = Dispatcher(ApiClient(http, *config.dispatcher), day)
    plan_id = dispatcher.published_plan(time_limit_s=config.plan_time_limit_s)
    plan = dispatcher.plan(plan_id)
    vehicles = {int(v["id"]): v for v in dispatcher.api.get("/vehicles")}
    depots = {
        int(d["id"]): Place(float(d["lat"]), float(d["lng"])) for d in dispatcher.api.get("/depots")
    }
    orders = _orders(dispatcher.api, day)
    customers = Customers(ApiClient(http, None), noise, codes_of(orders))
    usernames = {int(u["id"]): str(u["username"]) for u in admin.get("/users")}
    couriers = {int(c["id"]): usernames[int(c["user_id"])] for c in admin.get("/couriers")}

    original = _planned_routes(plan, vehicles, depots, orders)
    agents: dict[int, CourierAgent] = {}

    def enlist(routes: list[dict[str, Any]]) -> None:
        """An agent for each courier with a route; a replan may give one to an idle vehicle."""
        for route in routes:
            vehicle = vehicles[int(route["vehicle_id"])]
            if route["courier_id"] is None or int(vehicle["id"]) in agents:
                continue
            agent = CourierAgent(
                ApiClient(http, couriers[int(route["courier_id"])], config.courier_password),
                vehicle_id=int(vehicle["id"]),
                profile=profile_of(vehicle["type"]),
                depot=depots[int(vehicle["depot_id"])],
                noise=noise,
                timing=config.timing,
            )
            agent.load_manifest()
            agents[agent.vehicle_id] = agent

    enlist(plan["routes"])
    in_play = {int(s["order_id"]) for r in plan["routes"] for s in r["stops"]} | {
        int(u["order_id"]) for u in plan["unserved"]
    }
    urgent_count = config.urgent_orders or max(2, len(in_play) // 80)
    breakdown: Breakdown | None = None
    urgent: list[int] = []
    step = timedelta(seconds=config.step_s)
    now = start
    while now < end and not all(a.finished for a in agents.values()):
        began = time.monotonic()
        now = min(now + step, end)
        set_clock(now)
        for agent in agents.values():
            agent.advance(now)
        local = now.astimezone(zone)
        if breakdown is None and local.time() >= config.breakdown_at:
            breakdown = _break_down(dispatcher, agents, now)
        if not urgent and local.time() >= config.urgent_at:
            urgent = dispatcher.take_urgent_orders(noise, depots, urgent_count, local)
            customers.codes |= codes_of(_orders(dispatcher.api, day))
        if dispatcher.settle(now, timeout_s=config.replan_timeout_s):
            for agent in agents.values():
                agent.refresh(now)
            current = dispatcher.published_plan(time_limit_s=config.plan_time_limit_s)
            enlist(dispatcher.plan(current)["routes"])
        serve_customers(customers, dispatcher, agents.values(), now)
        if progress is not None:
            progress(start, now, end)
        if config.speed > 0:
            time.sleep(max(0.0, config.step_s / config.speed - (time.monotonic() - began)))

    couriers_done_at = now
    # The last deliveries' customers react after the couriers are back.
    while customers.waiting and now < end:
        now = min(now + step, end)
        set_clock(now)
        serve_customers(customers, dispatcher, agents.values(), now)

    in_play |= set(urgent)
    final = _orders(dispatcher.api, day)
    return SimulationRun(
        day=day,
        zone=zone,
        started_at=start,
        ended_at=couriers_done_at,
        plan_id=plan_id,
        original_routes=original,
        order_refs={o: str(final[o]["reference"] or final[o]["tracking_code"]) for o in in_play},
        windows={o: _window(final[o]) for o in in_play},
        urgent_order_ids=urgent,
        breakdown=breakdown,
        agents=list(agents.values()),
        decisions=dispatcher.log,
        replans=dispatcher.replans(),
        orders_at_end={o: str(final[o]["status"]) for o in in_play},
        noise=noise,
        ratings=customers.ratings,
        complaints=[c for c in dispatcher.api.get("/complaints") if c["order_id"] in in_play],
        compensations=[c for c in dispatcher.api.get("/compensations") if c["order_id"] in in_play],
    )


def _break_down(
    dispatcher: Dispatcher, agents: dict[int, CourierAgent], now: datetime
) -> Breakdown | None:
    """The vehicle that breaks down: one still at the depot with the most stops (its work can
    still move to others), else the one under way with the most stops left."""
    waiting = [a for a in agents.values() if a.phase is Phase.WAITING and a.queue_length]
    moving = [a for a in agents.values() if not a.finished and a.phase is not Phase.WAITING]
    candidates = waiting or moving
    if not candidates:
        return None
    victim = max(candidates, key=lambda a: (a.queue_length, -a.vehicle_id))
    dispatcher.break_down(victim.vehicle_id)
    victim.break_down(now)
    return Breakdown(victim.vehicle_id, now)


def _orders(api: ApiClient, day: date) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    page = 500
    while True:
        batch = api.get(
            "/orders",
            params={"service_date": day.isoformat(), "limit": page, "offset": len(found)},
        )
        found |= {int(o["id"]): o for o in batch}
        if len(batch) < page:
            return found


def _window(order: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    windows = order["windows"]
    if not windows:
        return None, None
    return (
        datetime.fromisoformat(windows[0]["starts_at"]),
        datetime.fromisoformat(windows[-1]["ends_at"]),
    )


def _planned_routes(
    plan: dict[str, Any],
    vehicles: dict[int, dict[str, Any]],
    depots: dict[int, Place],
    orders: dict[int, dict[str, Any]],
) -> list[PlannedRoute]:
    """The published plan as the counterfactual day drives it: same sequences and services."""
    routes = []
    for route in plan["routes"]:
        vehicle = vehicles[int(route["vehicle_id"])]
        visits = []
        for stop in route["stops"]:
            order = orders[int(stop["order_id"])]
            starts, ends = _window(order)
            service_s = (
                datetime.fromisoformat(stop["planned_departure_at"])
                - datetime.fromisoformat(stop["planned_service_start_at"])
            ).total_seconds()
            visits.append(
                Visit(
                    int(order["id"]),
                    Place(float(order["lat"]), float(order["lng"])),
                    starts,
                    ends,
                    int(service_s),
                )
            )
        routes.append(
            PlannedRoute(
                int(vehicle["id"]),
                profile_of(vehicle["type"]),
                depots[int(vehicle["depot_id"])],
                datetime.fromisoformat(route["planned_start_at"]),
                tuple(visits),
            )
        )
    return routes
