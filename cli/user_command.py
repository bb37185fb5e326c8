"""`sameday user create`: add an account, e.g. the first admin, without the API."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from infra import accounts
from infra.db import make_engine, make_session_factory
from infra.errors import DomainError
from infra.migrate import SchemaOutOfDate, ensure_schema_current
from infra.models import Role
from infra.settings import Settings

app = typer.Typer(help="User accounts.", no_args_is_help=True)


@app.callback()
def accounts_group() -> None:
    """User accounts: dispatchers, couriers and admins."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        typer.echo(
            "no terminal to ask for the password: pipe it in with --password-stdin", err=True
        )
        raise typer.Exit(2)
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@app.command("create")
def create(
    username: Annotated[str, typer.Option(help="Sign-in name")],
    role: Annotated[Role, typer.Option(help="What the user may do")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
    depot_id: Annotated[
        int | None,
        typer.Option(help="A dispatcher's depot: they see only its objects (default: every depot)"),
    ] = None,
) -> None:
    """Create a user; the password is prompted for, or read from stdin with --password-stdin."""
    password = _read_password(password_stdin)
    engine = make_engine(Settings())
    try:
        ensure_schema_current(engine)
        with make_session_factory(engine)() as session, session.begin():
            user = accounts.register_user(
                session, username=username, password=password, role=role, depot_id=depot_id
            )
            typer.echo(f"created {user.role.value} {user.username!r} (id {user.id})")
    except (DomainError, SchemaOutOfDate) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
