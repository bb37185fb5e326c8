"""Log lines as operators read them: JSON-formatted when written, in the writer's context."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from infra.structured_logs import JsonFormatter


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Formatted now: the request id is read from the context the line is written in.
        self.lines.append(json.loads(self.format(record)))


@contextmanager
def json_lines(logger_name: str) -> Iterator[list[dict[str, object]]]:
    """The lines `logger_name` writes, formatted as they are written (in the writer's context)."""
    handler = _Lines()
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
