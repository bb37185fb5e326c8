"""The `sameday` command line: one Typer app; each command lives in its own module."""

from __future__ import annotations

import typer

from cli import (
    db_command,
    demo_command,
    notify_command,
    plan_command,
    report_command,
    serve_command,
    simulate_command,
    user_command,
    worker_command,
)

app = typer.Typer(
    name="sameday",
    help="Same-day courier delivery: route planning, dispatch, tracking and customer service.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Same-day courier delivery: route planning, dispatch, tracking and customer service."""


app.command("plan")(plan_command.plan)
app.add_typer(db_command.app, name="db")
app.add_typer(user_command.app, name="user")
app.command("serve")(serve_command.serve)
app.command("demo")(demo_command.demo)
app.command("notify")(notify_command.notify)
app.command("simulate")(simulate_command.simulate_command)
app.command("report")(report_command.report)
app.command("worker")(worker_command.worker)
