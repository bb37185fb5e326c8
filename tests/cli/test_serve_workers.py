"""`sameday serve --workers N`: refused on SQLite, several processes on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
import typer
from typer.testing import CliRunner

from cli import serve_command
from tests.conftest import postgres_url
from tests.serving import free_port

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
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMEDAY_")} | {
        "SAMEDAY_ENVIRONMENT": "test",
        "SAMEDAY_DATABASE_URL": committed_db.settings.database.url,
        "SAMEDAY_SECURITY_SECRET_KEY": committed_db.settings.secret_key,
        "SAMEDAY_PLANNING_RUN_JOBS_IN_PROCESS": "false",
        "SAMEDAY_NOTIFICATIONS_SEND_IN_PROCESS": "false",
    }
    command = [sys.executable, "-c", "from cli.main import app; app()", "serve"]
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*command, "--port", str(port), "--workers", "2"],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        answered: list[httpx.Response] = []
        while len(answered) < 5 or log_path.read_text().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, log_path.read_text()
            try:
                answered.append(httpx.get(f"http://127.0.0.1:{port}/health", timeout=2))
            except httpx.TransportError:
                time.sleep(0.2)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)

    assert {r.status_code for r in answered} == {200}
    assert log_path.read_text().count("Started server process") == 2
