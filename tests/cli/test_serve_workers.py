"""`sameday serve --workers N`: refused on SQLite, several processes on PostgreSQL."""

from __future__ import annotations

import time

import httpx
import pytest
import typer
from typer.testing import CliRunner

from cli import serve_command
from tests.conftest import postgres_url
from tests.serving import serve_environment, serve_processes

runner = CliRunner()


def test_several_api_processes_are_refused_on_sqlite_with_the_reason(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAMEDAY_DATABASE_URL", f"sqlite:///{tmp_path / 'one.sqlite3'}")
    app = typer.Typer()
    app.command()(serve_command.serve)

    result = runner.invoke(app, ["--workers", "2"])

    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.output
    assert "one process write at a time" in result.output


@pytest.mark.production
@pytest.mark.slow
@pytest.mark.skipif(postgres_url() is None, reason="several API processes need PostgreSQL")
def test_two_api_processes_serve_one_port(committed_db, tmp_path):
    log_path = tmp_path / "serve.log"
    env = serve_environment(committed_db.settings)
    with serve_processes(env, tmp_path, workers=2) as base:
        deadline = time.monotonic() + 60
        answered: list[httpx.Response] = []
        while len(answered) < 5 or log_path.read_text().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, log_path.read_text()
            try:
                answered.append(httpx.get(f"{base}/health", timeout=2))
            except httpx.TransportError:
                time.sleep(0.2)

    assert {r.status_code for r in answered} == {200}
    assert log_path.read_text().count("Started server process") == 2
