"""The sender's background thread: sends due messages, then waits a poll interval."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from tracking.delivery.channels import Channel
from tracking.delivery.sender import OutboxSender

log = logging.getLogger(__name__)


class SenderThread:
    """Runs an OutboxSender until stopped; started and stopped by the application's lifespan."""

    def __init__(
        self, sender: OutboxSender, *, poll_s: float, channels: Iterable[Channel] = ()
    ) -> None:
        self._sender = sender
        self._poll_s = poll_s
        self._channels = list(channels)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="notification-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Lets the message being sent finish, then closes the channels."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        for channel in self._channels:
            channel.close()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self._sender.send_due().claimed > 0
            except Exception:
                # The thread must outlive a database hiccup; the rows keep their state, and a
                # claimed row whose outcome was not recorded is taken again after its lease.
                log.exception("notification sender iteration failed")
                busy = False
            if not busy:
                self._stopping.wait(self._poll_s)
