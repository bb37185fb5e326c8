"""`sameday demo`: a demo database with a realistic day, planned, then served on localhost."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from datetime import time as dt_time
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from api.app import create_app, freeze_startup_heap
from cli import demo_stock
from dispatch import couriers, plans, shifts
from dispatch.demo_day import DEMO_TIMEZONE, DemoSeed, seed_demo
from dispatch.plan_jobs import PlanJobRunner, runner_config
from infra.clock import SettableClock
from infra.db import make_engine, make_session_factory
from infra.migrate import upgrade
from infra.models import JobStatus, Plan, User
from infra.settings import DatabaseSettings, OperationSettings, Settings

DEFAULT_DATABASE = "sqlite:///sameday-demo.sqlite3"
# Where the settable clock of a simulated demo day starts.
CLOCK_START = dt_time(6, 0)


def demo(
    database_url: Annotated[
        str, typer.Option(help="Demo database (created or reused)")
    ] = DEFAULT_DATABASE,
    port: Annotated[int, typer.Option(help="TCP port to serve on")] = 8000,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    time_limit: Annotated[
        int | None, typer.Option(help="Solver time limit in seconds (default: the setting)")
    ] = None,
    serve: Annotated[bool, typer.Option(help="Serve the API and pages after planning")] = True,
    settable_clock: Annotated[
        bool,
        typer.Option(
            help="Serve with a clock that stands at 06:00 of the demo day until an admin sets "
            "it forward (PUT /admin/clock); `sameday simulate` needs it"
        ),
    ] = False,
) -> None:
    """Seed a demo day around Tallinn, plan it and serve the dispatcher page."""
    console = Console()
    settings = _demo_settings(database_url, settable_clock=settable_clock)
    zone = settings.operation.zone
    day = datetime.now(zone).date()
    started = time.monotonic()
    console.print(f"[bold]sameday demo[/] · database {database_url} · day {day} ({zone.key})")
    upgrade(settings)
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    try:
        now = datetime.now(UTC)
        with sessions() as session, session.begin():
            seeded = seed_demo(session, day=day, zone=zone)
            if seeded.created:
                allocated = demo_stock.seed_stock(session, day=day, now=now)
                failed = demo_stock.fail_an_inspection(session, day=day, now=now)
        console.print(
            f"{'Seeded' if seeded.created else 'Reusing'} {seeded.orders} orders, "
            f"{seeded.vehicles} vehicles, {seeded.depots} depots "
            f"({time.monotonic() - started:.1f} s)"
        )
        if seeded.created:
            console.print(
                f"Stock: {allocated} chilled orders allocated to batches. "
                f"Vehicle {failed} failed its inspection: out of service, not planned."
            )
        with sessions() as session, session.begin():
            job = plans.request_plan(
                session,
                service_date=day,
                depot_id=None,
                requested_by_id=None,
                time_limit_s=time_limit or settings.planning.solver_time_limit_s,
            )
            job_id = job.id
        runner = PlanJobRunner(sessions, runner_config(settings))
        worker = threading.Thread(target=runner.run_next, name="demo-plan")
        worker.start()
        with Progress(
            TextColumn("planning the day"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f} %"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("plan", total=100)
            while worker.is_alive():
                with sessions() as session:
                    progress.update(task, completed=plans.get_job(session, job_id).progress_percent)
                worker.join(0.3)
            progress.update(task, completed=100)
        with sessions() as session:
            job = plans.get_job(session, job_id)
            if job.status is not JobStatus.SUCCEEDED or job.plan_id is None:
                console.print(f"[red]planning failed:[/] {job.error}")
                raise typer.Exit(1)
            plan_id = job.plan_id
        if seeded.created:
            with sessions() as session, session.begin():
                held = demo_stock.hold_after_excursion(
                    session,
                    zone=zone,
                    now=datetime.now(UTC),
                    grace_s=settings.warehouse.excursion_grace_s,
                )
            for batch in held:
                console.print(
                    f"Batch {batch.lot_number} held ({batch.reason}): {batch.held_orders} orders "
                    f"held, {batch.removed_stops} stops taken off the plan and the routes re-timed."
                )
        with sessions() as session:
            plan = plans.get_plan(session, plan_id)
            console.print(
                f"Plan {plan.id}: {len(plan.routes)} routes, {plan.orders_planned} orders planned, "
                f"{plan.orders_unserved} unserved, {plan.total_distance_m / 1000:.0f} km "
                f"(ready after {time.monotonic() - started:.1f} s)"
            )
            courier_login = _courier_with_route(session, plan)
    finally:
        engine.dispose()
    url = f"http://{host}:{port}/dispatch"
    _print_logins(console, seeded, url)
    if courier_login is not None:
        _print_courier_hint(console, seeded, courier_login, f"http://{host}:{port}", plan_id)
    if serve:
        clock = None
        if settable_clock:
            # Before the first courier leaves, so a simulated day can be played from its start.
            clock = SettableClock(datetime.combine(day, CLOCK_START, tzinfo=zone))
            console.print(
                f"The server's clock stands at {day} {CLOCK_START:%H:%M} ({zone.key}) until it "
                f"is set: run `sameday simulate --url http://{host}:{port}` to play the day."
            )
        app = create_app(settings, clock=clock)
        freeze_startup_heap()
        uvicorn.run(app, host=host, port=port)


def _demo_settings(database_url: str, *, settable_clock: bool = False) -> Settings:
    settings = Settings()
    update: dict[str, object] = {"database": DatabaseSettings(url=database_url)}
    operation: dict[str, object] = {}
    if "SAMEDAY_OPERATION_TIMEZONE" not in os.environ:
        operation["timezone"] = DEMO_TIMEZONE
    if settable_clock:
        operation["settable_clock"] = True
        # A simulated day is longer than a token's usual life; a page signed in at 07:00 of
        # the simulated day should still work at its end.
        update["security"] = settings.security.model_copy(update={"token_ttl_s": 24 * 3600})
    if operation:
        update["operation"] = OperationSettings.model_validate(
            settings.operation.model_dump() | operation
        )
    return settings.model_copy(update=update)


def _print_logins(console: Console, seeded: DemoSeed, url: str) -> None:
    table = Table(title="Demo logins", show_lines=False)
    table.add_column("username")
    table.add_column("password")
    table.add_column("role")
    couriers = [login for login in seeded.logins if login.role.value == "courier"]
    for login in seeded.logins:
        if login.role.value != "courier":
            table.add_row(login.username, login.password, login.role.value)
    if couriers:
        names = f"{couriers[0].username} … {couriers[-1].username}"
        table.add_row(names, couriers[0].password, f"courier ({len(couriers)})")
    console.print(table)
    console.print(f"Dispatcher page: [bold link={url}]{url}[/]  (API docs: {url[:-9]}/docs)")


def _courier_with_route(session: Session, plan: Plan) -> str | None:
    """The username of a courier whose vehicle drives a route of `plan`, for the printed hint
    (not every courier has one: a vehicle may be out of service or not needed)."""
    drivers = {
        s.vehicle_id: s.courier_id for s in shifts.list_shifts(session, day=plan.service_date)
    }
    for route in sorted(plan.routes, key=lambda r: r.sequence):
        courier_id = drivers.get(route.vehicle_id)
        if courier_id is not None:
            user = session.get(User, couriers.get_courier(session, courier_id).user_id)
            return user.username if user is not None else None
    return None


def _print_courier_hint(
    console: Console, seeded: DemoSeed, username: str, base_url: str, plan_id: int
) -> None:
    password = next((x.password for x in seeded.logins if x.username == username), "?")
    # The demo leaves the plan a draft for the dispatcher; couriers see routes once it is out.
    console.print(
        f"Courier page (made for phones): [bold]{base_url}/courier[/], signed in as e.g. "
        f"{username} / {password}. It shows the route once plan {plan_id} is published: "
        f"POST /plans/{plan_id}/publish as the dispatcher ({base_url}/docs)."
    )
