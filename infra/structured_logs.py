"""Log lines as JSON objects or text, each naming the request it was written for.

The request id lives in a context variable set for each HTTP request, so every line logged
while serving it (in the event loop or a worker thread) carries it without being passed along.
A plan job carries the id of the request that queued it, and its runner binds it again
(`request_id_bound`), so one id follows a plan from the click to the solve.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

from infra.settings import LogSettings

_request_id: ContextVar[str | None] = ContextVar("sameday_request_id", default=None)

# What every LogRecord has: anything else on a record came as `extra=` and is logged too.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "request_id",
    # uvicorn's copy of the message with terminal colours.
    "color_message",
}

# uvicorn's access lines pass these as the message's arguments.
ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")
ACCESS_LOGGER = "uvicorn.access"

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# The servers' own loggers: their lines go through the root handler too.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(request_id: str) -> Token[str | None]:
    """Names the current request for every line logged from this context on; the token
    restores the previous name (a request's own context is dropped with it, so it need not)."""
    return _request_id.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


@contextmanager
def request_id_bound(request_id: str | None) -> Iterator[None]:
    """Names `request_id` for the lines logged inside the block, outside any request (a job
    run for the request that queued it); with None the context is left as it is."""
    if request_id is None:
        yield
        return
    token = bind_request_id(request_id)
    try:
        yield
    finally:
        unbind_request_id(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (UTC), level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id is not None:
            line["request_id"] = request_id
        if record.name == ACCESS_LOGGER and isinstance(record.args, tuple):
            line.update(zip(ACCESS_FIELDS, record.args, strict=False))
        for name, value in record.__dict__.items():
            if name not in _RECORD_ATTRIBUTES and not name.startswith("_"):
                line.setdefault(name, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = current_request_id() or "-"
        return super().format(record)


class _SamedayHandler(logging.StreamHandler[Any]):
    """Marks the handler configure_logging installed, so that calling it again replaces it."""


def make_formatter(settings: LogSettings) -> logging.Formatter:
    return JsonFormatter() if settings.format == "json" else TextFormatter()


def configure_logging(settings: LogSettings) -> None:
    """Sends the root logger's lines to stderr in the configured format; for entry points.

    The servers' own loggers are routed through it as well, so that access lines carry the
    request id and, in JSON, every line is one object.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _SamedayHandler)]:
        root.removeHandler(handler)
    handler = _SamedayHandler(sys.stderr)
    handler.setFormatter(make_formatter(settings))
    root.addHandler(handler)
    root.setLevel(settings.level)
    for name in SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
