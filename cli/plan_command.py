"""`sameday plan ORDERS.csv VEHICLES.csv --out DIR`: plan a day from two CSV files.

Exit codes: 0 the plan is written; 1 the plan is written but the validator found violations
(see plan.json); 2 the input is unusable and nothing was written.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from dispatch.csv_rows import PlanInputError
from dispatch.file_plan import plan_day
from dispatch.plan_files import read_plan_files
from dispatch.plan_input import PlanInput
from dispatch.plan_map import OSM_ATTRIBUTION, OSM_TILES
from dispatch.plan_output import render_outputs, write_outputs
from dispatch.plan_report import PlanReport, format_hhmm, km

EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2


def plan(
    orders: Annotated[
        Path,
        typer.Argument(
            help="ORDERS.csv: one row per stop (see examples/README.md for the columns).",
            metavar="ORDERS.csv",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    vehicles: Annotated[
        Path,
        typer.Argument(
            help="VEHICLES.csv: one row per vehicle with its depot and shift.",
            metavar="VEHICLES.csv",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Directory for plan.json, routes.csv and map.html (created if missing).",
            file_okay=False,
        ),
    ],
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", min=0.1, help="Seconds the solver searches for a plan."),
    ] = 10.0,
    date: Annotated[
        str | None,
        typer.Option("--date", help="Day of the plan, YYYY-MM-DD; today by default."),
    ] = None,
    tiles: Annotated[
        str,
        typer.Option(
            "--tiles",
            help="Map background tile URL template; 'none' for no tiles.",
            show_default="OpenStreetMap",
        ),
    ] = OSM_TILES,
    tiles_attribution: Annotated[
        str,
        typer.Option(
            "--tiles-attribution",
            help="Attribution shown for the tiles (HTML).",
            show_default="OpenStreetMap",
        ),
    ] = OSM_ATTRIBUTION,
    detour_factor: Annotated[
        float,
        typer.Option(
            "--detour-factor", min=1.0, help="Road distance as a multiple of straight distance."
        ),
    ] = 1.3,
) -> None:
    """Plan routes for the orders in ORDERS.csv with the vehicles in VEHICLES.csv."""
    plan_date = _parse_date(date)
    console = Console(stderr=True)
    try:
        plan_input = read_plan_files(orders, vehicles, detour_factor=detour_factor)
    except PlanInputError as exc:
        # Plain echo: one problem per line, never wrapped, so it can be grepped.
        typer.echo(f"Nothing planned. {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    for warning in plan_input.warnings:
        typer.echo(f"warning: {warning}", err=True)
    console.print(
        f"{len(plan_input.orders)} orders, {len(plan_input.vehicles)} vehicles, "
        f"{len(plan_input.locations)} locations; searching for {time_limit:g} s"
    )

    try:
        report = _plan_with_progress(
            plan_input,
            console,
            date=plan_date,
            orders=orders,
            vehicles=vehicles,
            time_limit=time_limit,
        )
    except PlanInputError as exc:
        typer.echo(f"Nothing planned. {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    tile_url = None if tiles.strip().lower() in ("", "none") else tiles
    write_outputs(out, render_outputs(report, tiles=tile_url, attribution=tiles_attribution))
    _print_summary(Console(), report, out)
    if not report.valid:
        raise typer.Exit(EXIT_VIOLATIONS)


def _parse_date(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{text!r} is not a date (YYYY-MM-DD)", param_hint="--date"
        ) from exc


def _plan_with_progress(
    plan_input: PlanInput,
    console: Console,
    *,
    date: dt.date,
    orders: Path,
    vehicles: Path,
    time_limit: float,
) -> PlanReport:
    columns = (
        SpinnerColumn(),
        TextColumn("solving"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("best cost {task.fields[best]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("solve", total=1.0, best="-")
        last_refresh = time.monotonic()

        def report(fraction: float, best_cost: float | None) -> None:
            nonlocal last_refresh
            best = "-" if best_cost is None else f"{best_cost:,.2f}"
            progress.update(task, completed=fraction, best=best)
            # OR-Tools holds the GIL while it searches, so Rich's refresh thread stalls; redraw
            # from the solver's callback instead, at most ten times a second.
            now = time.monotonic()
            if now - last_refresh >= 0.1:
                last_refresh = now
                progress.refresh()

        return plan_day(
            plan_input,
            date=date,
            orders_file=orders.name,
            vehicles_file=vehicles.name,
            time_limit_s=time_limit,
            progress=report,
        )


def _print_summary(console: Console, report: PlanReport, out: Path) -> None:
    table = Table(title=f"Plan for {report.date.isoformat()}")
    for heading in ("vehicle", "stops", "km", "start", "end", "cost"):
        table.add_column(heading, justify="left" if heading == "vehicle" else "right")
    for route in report.routes:
        table.add_row(
            route.vehicle_id,
            str(len(route.visits)),
            f"{km(route.distance_m):.1f}",
            format_hhmm(route.start_s),
            format_hhmm(route.end_s),
            f"{route.cost:,.2f}",
        )
    console.print(table)
    console.print(
        f"served {report.served_count} of {report.order_count} orders with "
        f"{len(report.routes)} of {report.vehicle_count} vehicles, "
        f"{km(report.distance_m):.1f} km, cost {report.cost:,.2f}"
    )
    for unserved in report.unserved:
        console.print(f"[yellow]not served[/] {unserved.order_id}: {unserved.text}", soft_wrap=True)
    if report.valid:
        console.print("[green]validated: no violations[/]")
    else:
        console.print(f"[red]the validator found {len(report.violations)} violation(s):[/]")
        for violation in report.violations:
            console.print(f"  {violation.code}: {violation.text}", soft_wrap=True, markup=False)
    console.print(f"written: {out / 'plan.json'}, {out / 'routes.csv'}, {out / 'map.html'}")
