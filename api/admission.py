"""Admission to the database: no more requests at once than the connection pool keeps open.

Without it a busy process deadlocks itself: a request holds a connection while it waits for a
worker thread for its next step, and every worker thread is taken by a newer request waiting
for a connection, until the pool's timeout fails them all. Here a request waits before it
takes anything (in the event loop, where waiting is cheap), runs with a connection sure to be
free, and gives its place back when its response starts: the request's transaction has ended
by then (see api.deps.get_session), and a live event stream does not keep a place while open.
A request still waiting after `database.admission_wait_s` is a 503 `server_busy`, which the
client may retry after Retry-After.
"""

from __future__ import annotations

import math

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import retry_later
from infra.settings import Settings

# Connections kept for work outside requests: the live streams' reader, the notification
# sender and the plan job runner each use one at a time.
BACKGROUND_CONNECTIONS = 3


def admitted_at_once(settings: Settings) -> int:
    """Requests let through at once: the connections the pool keeps open, less the background
    work's. Not its overflow: an overflow connection is opened at a peak and closed when it is
    given back, so requests admitted onto it opened a connection to the database each (a new
    PostgreSQL server process), which under load took more of the machine than the requests
    themselves (tracking reads at 150/s: p95 2.5 s with them, 0.4 s without). The overflow is
    left to peaks of the background work and to a request that needs a second connection."""
    return max(1, settings.database.pool_size - BACKGROUND_CONNECTIONS)


class DatabaseAdmission:
    """ASGI middleware letting `admitted_at_once(settings)` requests through at once."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self._places = anyio.Semaphore(admitted_at_once(settings))
        self._wait_s = settings.database.admission_wait_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        admitted = False
        with anyio.move_on_after(self._wait_s):
            await self._places.acquire()
            admitted = True
        if not admitted:
            await self._busy(scope, receive, send)
            return
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self._places.release()

        async def send_releasing(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, send_releasing)
        finally:
            release()

    async def _busy(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = retry_later(
            code="server_busy",
            title="The server is busy",
            detail=f"no request could start within {self._wait_s:g} s; retry shortly",
            instance=scope.get("path"),
            retry_after_s=math.ceil(self._wait_s),
        )
        await response(scope, receive, send)
