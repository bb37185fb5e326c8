"""What each request leaves for operators: its request id (header and log lines) and timing.

Plain ASGI middleware, so that streamed responses (the live pages' event streams) pass through
untouched and the request id is set in the context the handlers and their threads run in.
"""

from __future__ import annotations

import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra import metrics
from infra.structured_logs import bind_request_id

# An incoming id is kept only if it is this safe: it is echoed and written to every log line.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID when it is valid, else a new one."""
    for name, value in headers:
        if name.lower() == b"x-request-id":
            candidate = value.decode("latin-1")
            if VALID_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class ObservedRequests:
    """Names each request and times it: the id goes into the log context and the response
    header, the duration into the latency histogram under the route template.

    The context keeps the id after an unhandled error, so that the 500 handler (which runs
    outside this middleware) and its log line name the request too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope["headers"])
        bind_request_id(request_id)
        status = 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            # The router put the matched route into the scope.
            route = scope.get("route")
            metrics.observe_request(
                scope["method"],
                getattr(route, "path", None),
                status,
                time.perf_counter() - started,
            )
