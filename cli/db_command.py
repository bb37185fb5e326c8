"""`sameday db upgrade|current`: apply the migrations and show where the database stands."""

from __future__ import annotations

from typing import Annotated

import typer

from infra.db import make_engine
from infra.migrate import current_revision, head_revision, upgrade
from infra.settings import Settings

app = typer.Typer(help="Database schema: migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Option(help="Target revision")] = "head",
) -> None:
    """Migrate the configured database (SAMEDAY_DATABASE_URL) to the latest schema."""
    settings = Settings()
    upgrade(settings, revision)
    engine = make_engine(settings)
    try:
        typer.echo(f"database schema is at revision {current_revision(engine)}")
    finally:
        engine.dispose()


@app.command("current")
def current_command() -> None:
    """Show the database's revision and whether it is the one this code needs."""
    engine = make_engine(Settings())
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    state = "up to date" if current == head else f"out of date: run `sameday db upgrade` ({head})"
    typer.echo(f"{current or 'no schema'} - {state}")
    if current != head:
        raise typer.Exit(1)
