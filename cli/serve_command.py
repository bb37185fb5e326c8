"""`sameday serve`: run the API with uvicorn, after checking the database schema."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from api.app import create_app, freeze_startup_heap
from infra.db import make_engine
from infra.migrate import SchemaOutOfDate, ensure_schema_current
from infra.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    settings = Settings()
    engine = make_engine(settings)
    try:
        ensure_schema_current(engine)
    except SchemaOutOfDate as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    app = create_app(settings)
    freeze_startup_heap()
    uvicorn.run(app, host=host, port=port)
