"""`sameday report --from --to --out DIR`: the KPI tables as CSV and Excel, and their charts."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

from infra.db import make_engine, make_session_factory
from infra.errors import Invalid
from infra.migrate import SchemaOutOfDate, ensure_schema_current
from infra.settings import Settings
from reports import charts, export, kpis
from reports.frames import Period


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a day like 2025-03-04") from None


def report(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for the files (created if missing)")
    ],
    first: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD; default today")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last day, included; default --from")
    ] = None,
    by: Annotated[kpis.By, typer.Option("--by", help="Group by day, depot or courier")] = (
        kpis.By.DAY
    ),
) -> None:
    """Write the KPIs of the days --from to --to: each table as CSV, all of them in kpis.xlsx,
    and the charts as PNG (the same as GET /kpis and the dashboard)."""
    console = Console()
    settings = Settings()
    zone = settings.operation.zone
    start = _day(first) if first else datetime.now(zone).date()
    try:
        period = Period.of(start, _day(last) if last else start, zone)
    except Invalid as exc:
        raise typer.BadParameter(exc.detail) from None
    engine = make_engine(settings)
    try:
        ensure_schema_current(engine)
        with make_session_factory(engine)() as session:
            result = kpis.compute(session, period, by, now=datetime.now(zone))
    except SchemaOutOfDate as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    out.mkdir(parents=True, exist_ok=True)
    tables = result.tables()
    written: list[Path] = []
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), console=console
    ) as progress:
        task = progress.add_task("writing", total=len(tables) + 1 + len(charts.CHARTS))
        for name, table in tables.items():
            written.append(export.write_csv(table, out / f"{name}.csv"))
            progress.advance(task)
        written.append(export.write_xlsx(tables, out / "kpis.xlsx"))
        progress.advance(task)
        for name, draw in charts.CHARTS.items():
            path = out / f"{name}.png"
            path.write_bytes(charts.render(draw(result), "png"))
            written.append(path)
            progress.advance(task)
    totals = result.totals
    on_time = _share(totals["on_time_rate"])
    console.print(
        f"{period.first} to {period.last}: {int(totals['deliveries'])} delivered, "
        f"{int(totals['failed_attempts'])} failed attempts, on time {on_time}"
    )
    console.print(f"Wrote {len(written)} files to {out}")


def _share(value: float) -> str:
    return "-" if value != value else f"{value:.0%}"  # NaN: nothing to divide
