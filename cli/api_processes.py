"""Several API processes on one port, each listening on a socket of its own (SO_REUSEPORT), so
that the kernel spreads new connections over them evenly.

With one socket shared by every process (uvicorn's own `--workers`), the process that wakes
first accepts a whole burst of new connections at once; under load one process ended up with
nearly every connection, at full CPU, while the other idled. Here the parent holds the port (a
bound socket that does not listen), starts the processes, starts another when one dies, and
passes a stop on to all of them.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

log = logging.getLogger(__name__)

# Connections the kernel queues for a process before it accepts them (uvicorn's default).
BACKLOG = 2048
# How long the processes get to finish their requests after a stop, before they are killed.
STOP_TIMEOUT_S = 25.0
WATCH_INTERVAL_S = 0.5
# The exit code of a uvicorn process whose app failed to start.
STARTUP_FAILURE = 3


def bind_shared(host: str, port: int) -> socket.socket:
    """A socket bound to host:port that other sockets of this user may bind too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def serve_one(host: str, port: int) -> None:
    """One API process: its own listening socket, the app built from the environment."""
    sock = bind_shared(host, port)
    # Not listening yet: uvicorn listens once the app has started, so no connection waits
    # on a process that is still loading (at start, or after a restart).
    config = uvicorn.Config("api.app:make_app", factory=True, log_config=None, backlog=BACKLOG)
    uvicorn.Server(config).run(sockets=[sock])


def serve_processes(host: str, port: int, workers: int) -> None:
    """Runs `workers` API processes until SIGTERM or SIGINT, then stops them gracefully."""
    # Taken first, so that a port in use is an error here rather than in every process.
    held = bind_shared(host, port)
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start() -> BaseProcess:
        process = context.Process(target=serve_one, args=(host, port), name="sameday-api")
        process.start()
        return process

    def stop(_signal: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    processes = [start() for _ in range(workers)]
    log.info("serving on http://%s:%d with %d API processes", host, port, workers)
    failed = False
    try:
        while not stopping.wait(WATCH_INTERVAL_S):
            for k, process in enumerate(processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    # Its app did not start (the schema out of date, a setting refused):
                    # another would fail the same way.
                    log.error("an API process could not start; stopping the others")
                    failed = True
                    stopping.set()
                    break
                log.warning(
                    "API process %s exited (code %s); starting another",
                    process.pid,
                    process.exitcode,
                )
                processes[k] = start()
    finally:
        for process in processes:
            # One SIGTERM each: uvicorn finishes the open requests, then exits. (After a
            # Ctrl+C in a terminal they have the SIGINT already; a SIGTERM after it does not
            # force them.)
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        held.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed:
        raise SystemExit(STARTUP_FAILURE)
