"""`sameday db`, `sameday user create` and the schema check of `sameday serve`, without a TTY."""

from __future__ import annotations

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from cli import db_command, serve_command, user_command
from infra.accounts import authenticate
from infra.db import make_engine, make_session_factory
from infra.models import Role, User
from infra.settings import Settings

runner = CliRunner()


@pytest.fixture
def database_url(fresh_database_url, monkeypatch, tmp_path):
    url = fresh_database_url()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAMEDAY_DATABASE_URL", url)
    return url


def users(url: str) -> list[tuple[str, Role]]:
    engine = make_engine(Settings(database={"url": url}, _env_file=None))
    try:
        with make_session_factory(engine)() as session:
            return [(u.username, u.role) for u in session.scalars(select(User))]
    finally:
        engine.dispose()


@pytest.mark.usefixtures("database_url")
def test_db_upgrade_brings_an_empty_database_to_the_latest_revision():
    before = runner.invoke(db_command.app, ["current"])
    upgraded = runner.invoke(db_command.app, ["upgrade"])
    after = runner.invoke(db_command.app, ["current"])

    assert before.exit_code == 1
    assert "sameday db upgrade" in before.output
    assert upgraded.exit_code == 0, upgraded.output
    assert after.exit_code == 0
    assert "up to date" in after.output


def test_the_first_admin_is_created_with_the_password_from_stdin(database_url):
    runner.invoke(db_command.app, ["upgrade"])

    result = runner.invoke(
        user_command.app,
        ["create", "--role", "admin", "--username", "root", "--password-stdin"],
        input="a long admin password\n",
    )

    assert result.exit_code == 0, result.output
    assert users(database_url) == [("root", Role.ADMIN)]
    engine = make_engine(Settings(database={"url": database_url}, _env_file=None))
    try:
        with make_session_factory(engine)() as session:
            assert authenticate(session, username="root", password="a long admin password")
    finally:
        engine.dispose()


def test_without_a_terminal_or_stdin_flag_the_password_is_not_prompted_for(database_url):
    runner.invoke(db_command.app, ["upgrade"])

    result = runner.invoke(user_command.app, ["create", "--role", "admin", "--username", "root"])

    assert result.exit_code == 2
    assert "--password-stdin" in result.output
    assert users(database_url) == []


def test_a_taken_username_or_short_password_is_refused(database_url):
    runner.invoke(db_command.app, ["upgrade"])
    create = ["create", "--role", "dispatcher", "--username", "kim", "--password-stdin"]
    runner.invoke(user_command.app, create, input="password one\n")

    taken = runner.invoke(user_command.app, create, input="password two\n")
    short = runner.invoke(
        user_command.app,
        ["create", "--role", "dispatcher", "--username", "lee", "--password-stdin"],
        input="short\n",
    )

    assert taken.exit_code == 1
    assert "already taken" in taken.output
    assert short.exit_code == 1
    assert users(database_url) == [("kim", Role.DISPATCHER)]


@pytest.mark.usefixtures("database_url")
def test_user_create_on_an_empty_database_says_to_upgrade():
    result = runner.invoke(
        user_command.app,
        ["create", "--role", "admin", "--username", "root", "--password-stdin"],
        input="a long admin password\n",
    )

    assert result.exit_code == 1
    assert "sameday db upgrade" in result.output


@pytest.mark.usefixtures("database_url")
def test_serve_refuses_an_out_of_date_schema_naming_the_fix():
    app = typer.Typer()
    app.command()(serve_command.serve)

    result = runner.invoke(app, [])

    assert result.exit_code == 1
    assert "run `sameday db upgrade`" in result.output
