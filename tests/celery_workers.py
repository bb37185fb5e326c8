"""Real `sameday worker` processes for the tests of the production profile."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import redis

from infra.settings import Settings


class Workers:
    """The workers of one test, on its settings' database, Redis and namespace."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.settings = settings
        self._logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        planning = self.settings.planning
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAMEDAY_")} | {
            "SAMEDAY_ENVIRONMENT": "test",
            "SAMEDAY_DATABASE_URL": self.settings.database.url,
            "SAMEDAY_SECURITY_SECRET_KEY": self.settings.secret_key,
            "SAMEDAY_REDIS_URL": self.settings.redis_url or "",
            "SAMEDAY_REDIS_NAMESPACE": self.settings.redis_namespace,
            "SAMEDAY_OPERATION_TIMEZONE": self.settings.operation.timezone,
            "SAMEDAY_PLANNING_EXECUTOR": "celery",
            "SAMEDAY_PLANNING_JOB_LEASE_S": str(planning.job_lease_s),
            "SAMEDAY_PLANNING_JOB_MAX_ATTEMPTS": str(planning.job_max_attempts),
            "SAMEDAY_NOTIFICATIONS_SEND_IN_PROCESS": "false",
        }
        with (self._logs / f"worker-{len(self.started)}.log").open("wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-c", "from cli.main import app; app()", "worker"],
                env=env,
                cwd=self._logs,  # no .env of the developer's
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: killing it takes its pool and solver processes too.
                start_new_session=True,
            )
        self.started.append(worker)
        return worker

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self._logs.glob("*.log"))

    def stop(self) -> None:
        for worker in self.started:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        client = redis.Redis.from_url(self.settings.redis_url or "")
        for key in client.scan_iter(f"{self.settings.redis_namespace}*"):
            client.delete(key)
        client.close()


@contextlib.contextmanager
def workers_for(settings: Settings, logs: Path) -> Iterator[Workers | None]:
    """One running worker when the settings solve plan jobs on Celery, else none."""
    if settings.planning.executor != "celery":
        yield None
        return
    workers = Workers(settings, logs)
    workers.start()
    try:
        yield workers
    finally:
        workers.stop()
