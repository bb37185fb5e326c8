"""The `sameday` command line: one Typer app; each command lives in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="sameday",
    help="Same-day courier delivery: route planning, dispatch, tracking and customer service.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Same-day courier delivery: route planning, dispatch, tracking and customer service."""
