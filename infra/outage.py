"""An outage of something the service leans on (Redis, the database), logged once when it
starts and once when it ends, however many calls fail in between."""

from __future__ import annotations

import logging
import threading


class OutageLog:
    """`down` is logged with the first failure's exception (one `%s`), `back` with the first
    success after it. Safe to share between threads."""

    def __init__(self, log: logging.Logger, *, down: str, back: str) -> None:
        self._log = log
        self._down = down
        self._back = back
        self._lock = threading.Lock()
        self._failing = False

    def failed(self, exc: Exception) -> None:
        with self._lock:
            if self._failing:
                return
            self._failing = True
        self._log.warning(self._down, exc)

    def succeeded(self) -> None:
        with self._lock:
            if not self._failing:
                return
            self._failing = False
        self._log.info(self._back)
