"""`sameday serve`: run the API with uvicorn, after checking the database schema."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from api.app import create_app, freeze_startup_heap
from cli.api_processes import serve_processes
from infra.db import is_sqlite, make_engine
from infra.migrate import SchemaOutOfDate, ensure_schema_current
from infra.settings import Settings
from infra.structured_logs import configure_logging


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="API processes (more than one needs PostgreSQL)")
    ] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    settings = Settings()
    refusal = workers_refusal(settings, workers)
    if refusal is not None:
        typer.echo(f"error: {refusal}", err=True)
        raise typer.Exit(2)
    configure_logging(settings.log)
    engine = make_engine(settings)
    try:
        ensure_schema_current(engine)
    except SchemaOutOfDate as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    if workers > 1:
        # Each process builds its app from the environment (api.app:make_app).
        serve_processes(host, port, workers)
        return
    app = create_app(settings)
    freeze_startup_heap()
    # uvicorn's lines go through the configured format (log_config=None keeps it from
    # installing its own handlers).
    uvicorn.run(app, host=host, port=port, log_config=None)


def workers_refusal(settings: Settings, workers: int) -> str | None:
    """Why these settings cannot be served by `workers` processes, if they cannot."""
    if workers == 1:
        return None
    if is_sqlite(settings.database.url):
        return (
            f"--workers {workers} needs PostgreSQL (SAMEDAY_DATABASE_URL): SQLite lets one "
            "process write at a time, so several API processes would queue on its lock"
        )
    return None
