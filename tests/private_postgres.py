"""A PostgreSQL server of the tests' own, to restart and crash without touching the shared one.

The server runs from the installed binaries (`pg_config --bindir`, else the newest
/usr/lib/postgresql/*/bin) in a temporary directory, on a free port of 127.0.0.1, with fsync
on: a crash is a real crash and the restart a real crash recovery. initdb and postgres refuse
to run as root, so under root they run as the `postgres` user. The postmaster is this
process's child, so that a killed one is reaped here whatever the machine's init does.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from tests.serving import free_port

SERVER_USER = "postgres"
START_TIMEOUT_S = 60.0
_REQUIRED = ("initdb", "pg_ctl", "postgres")


def server_binaries() -> Path | None:
    """The directory of initdb, pg_ctl and postgres, or None when they are not installed."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if found.returncode == 0:
            candidates.append(Path(found.stdout.strip()))

    def version(directory: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", Path(directory).parent.name))

    candidates += [
        Path(d) for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    ]
    for directory in candidates:
        if all((directory / name).is_file() for name in _REQUIRED):
            return directory
    return None


def _as_server_user() -> dict[str, Any]:
    """subprocess keywords that run a command as the server's user (only needed under root)."""
    if os.geteuid() != 0:
        return {}
    user = pwd.getpwnam(SERVER_USER)
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # The command name (field 2) is in parentheses and may hold spaces.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                children.append(int(stat.parent.name))
    return children


def _gone(pid: int) -> bool:
    """The process has exited (a zombie nobody reaps counts as gone: it holds nothing)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


class PrivatePostgres:
    """A running server: `url` for SQLAlchemy; `restart`, `kill` (a crash) and `stop`."""

    def __init__(self, bindir: Path, directory: Path) -> None:
        self.bindir = bindir
        self.directory = directory
        self.data = directory / "data"
        self.log_path = directory / "server.log"
        self.port = free_port()
        self._server: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{self.port}/postgres"

    @property
    def conninfo(self) -> str:
        """The same database for psycopg itself."""
        return f"host=127.0.0.1 port={self.port} user={SERVER_USER} dbname=postgres"

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.poll() is None

    def _run(self, *command: str) -> None:
        subprocess.run(
            [str(self.bindir / command[0]), *command[1:]],
            cwd=self.directory,
            check=True,
            capture_output=True,
            **_as_server_user(),
        )

    def initialize(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", SERVER_USER, "--auth=trust", "-E", "UTF8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.directory}'\n"
                # The defaults, stated: a crash then loses nothing that was committed.
                "fsync = on\n"
                "synchronous_commit = on\n"
                "full_page_writes = on\n"
            )

    def start(self) -> None:
        """Starts the server (after a crash: crash recovery) and waits until it answers."""
        assert not self.running, "the server is already running"
        with self.log_path.open("ab") as log:
            self._server = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", str(self.data)],
                cwd=self.directory,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **_as_server_user(),
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._server.poll() is not None:
                raise RuntimeError(f"PostgreSQL did not start:\n{self.log_tail()}")
            try:
                psycopg.connect(self.conninfo, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL does not answer:\n{self.log_tail()}") from None
                time.sleep(0.05)

    def stop(self, mode: str = "fast") -> None:
        """pg_ctl stop: `fast` rolls back open transactions and ends the sessions cleanly."""
        if not self.running:
            return
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60")
        assert self._server is not None
        self._server.wait(60)

    def restart(self, *, down_s: float = 0.0) -> None:
        """A clean restart (pg_ctl restart -m fast), down for at least `down_s`."""
        self.stop("fast")
        time.sleep(down_s)
        self.start()

    def kill(self, *, down_s: float = 0.0) -> None:
        """A crash: SIGKILL to the postmaster and every server process, then a start, after at
        least `down_s`, that recovers from the write-ahead log."""
        assert self._server is not None, "the server was never started"
        assert self.running, "the server is not running"
        postmaster = self._server.pid
        # Stopped first, so that it starts no process between the listing and the kill.
        os.kill(postmaster, signal.SIGSTOP)
        children = _children(postmaster)
        for pid in [postmaster, *children]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._server.wait(30)
        deadline = time.monotonic() + 30
        # A server process still alive would keep the shared memory, and the start would fail.
        while not all(_gone(pid) for pid in children):
            assert time.monotonic() < deadline, "PostgreSQL processes survived SIGKILL"
            time.sleep(0.02)
        time.sleep(down_s)
        self.start()

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


@contextlib.contextmanager
def private_postgres(bindir: Path) -> Iterator[PrivatePostgres]:
    """A fresh, started server in a new temporary directory; stopped and removed at the end."""
    directory = Path(tempfile.mkdtemp(prefix="sameday-pg-"))
    server_user = _as_server_user()
    if server_user:
        os.chown(directory, server_user["user"], server_user["group"])
    server = PrivatePostgres(bindir, directory)
    try:
        server.initialize()
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            server.stop("immediate")
        if server.running and server._server is not None:
            server._server.kill()
            server._server.wait(10)
        shutil.rmtree(directory, ignore_errors=True)
