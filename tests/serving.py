"""An app behind a real HTTP server in a thread, for clients that stream or vanish."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from infra.settings import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app's base URL while it serves (its lifespan ran)."""
    port = free_port()
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(10)


def serve_environment(settings: Settings, **variables: str) -> dict[str, str]:
    """The environment of a `sameday serve` process on these settings' database and key."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SAMEDAY_")} | {
        "SAMEDAY_ENVIRONMENT": "test",
        "SAMEDAY_DATABASE_URL": settings.database.url,
        "SAMEDAY_SECURITY_SECRET_KEY": settings.secret_key,
        "SAMEDAY_PLANNING_RUN_JOBS_IN_PROCESS": "false",
        "SAMEDAY_NOTIFICATIONS_SEND_IN_PROCESS": "false",
        **variables,
    }


@contextlib.contextmanager
def serve_processes(env: dict[str, str], directory: Path, *, workers: int) -> Iterator[str]:
    """`sameday serve --workers N` in a process group of its own, writing to directory/serve.log;
    yields its base URL and stops the whole group at the end."""
    port = free_port()
    command = [sys.executable, "-c", "from cli.main import app; app()", "serve"]
    with (directory / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [*command, "--port", str(port), "--workers", str(workers)],
            env=env,
            cwd=directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
