"""`sameday simulate`: plays a whole demo day against a running server and reports it."""

from __future__ import annotations

from datetime import datetime
from datetime import time as wall_time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from simulator.client import SimulationError
from simulator.report import build_report, table, write_files
from simulator.run import SimulationConfig, simulate


def _wall(value: str) -> wall_time:
    try:
        return wall_time.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a time of day like 20:00") from None


def simulate_command(
    url: Annotated[
        str, typer.Option(help="The running server (`sameday demo --settable-clock`)")
    ] = ("http://127.0.0.1:8000"),
    speed: Annotated[
        float,
        typer.Option(
            help="Simulated seconds per real second (120: watch the map); 0: as fast as it goes"
        ),
    ] = 0.0,
    seed: Annotated[
        int, typer.Option(help="Seed of traffic, service times and failed attempts")
    ] = 0,
    out: Annotated[Path, typer.Option(help="Directory for summary.json and outcomes.csv")] = Path(
        "simulation-out"
    ),
    until: Annotated[
        str,
        typer.Option(
            help="Local time at which the day stops at the latest (the late shift serves "
            "windows until 21:00)"
        ),
    ] = "22:00",
    step: Annotated[
        int, typer.Option(help="Simulated seconds per step of the clock", min=10, max=900)
    ] = 60,
) -> None:
    """Play the day: couriers depart, drive, ping and deliver; a van breaks down; urgent orders
    come at midday; the dispatcher decides the replans. Prints and saves what happened, with
    and without replanning."""
    console = Console()
    config = SimulationConfig(url=url, seed=seed, speed=speed, until=_wall(until), step_s=step)
    with Progress(
        TextColumn("simulated day"),
        BarColumn(),
        TextColumn("{task.fields[clock]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("day", total=1.0, clock="--:--")

        def show(start: datetime, now: datetime, end: datetime) -> None:
            share = (now - start) / (end - start) if end > start else 1.0
            progress.update(task, completed=share, clock=f"{now.astimezone(start.tzinfo):%H:%M}")

        try:
            run = simulate(config, show)
        except SimulationError as exc:
            progress.stop()
            console.print(f"[red]simulation stopped:[/] {exc}")
            raise typer.Exit(1) from None
        progress.update(task, completed=1.0)
    report = build_report(run)
    for decision in sorted(run.decisions, key=lambda d: d.at):
        console.print(
            f"{decision.at.astimezone(run.zone):%H:%M} replan {decision.job_id} "
            f"({decision.trigger}): {decision.decision} - {decision.summary}"
        )
    console.print(table(report))
    summary, rows = write_files(report, out)
    console.print(f"Saved {summary} and {rows}")
