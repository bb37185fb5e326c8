"""The channel protocol every sender route goes through, its outcomes, and the log channel."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Protocol

from tracking.delivery.messages import Message

log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # may work later: network trouble, a busy receiver
    PERMANENT = "permanent"  # will never work: the receiver refused this message


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    error: str | None = None


SENT = SendResult(Outcome.SENT)


def retry(error: str) -> SendResult:
    return SendResult(Outcome.RETRY, error)


def permanent(error: str) -> SendResult:
    return SendResult(Outcome.PERMANENT, error)


class Channel(Protocol):
    """Delivers one message. Expected failures are results, not exceptions; the message's
    outbox id goes along as its idempotency key."""

    def send(self, message: Message) -> SendResult: ...

    def close(self) -> None: ...


class LogChannel:
    """The embedded default: the message becomes a log line (and stays listed in the outbox)."""

    def send(self, message: Message) -> SendResult:
        log.info(
            "notification %s (%s) by %s to %s: %s",
            message.outbox_id,
            message.template_code,
            message.channel,
            message.recipient,
            message.text.replace("\n", " "),
        )
        return SENT

    def close(self) -> None:
        """Holds nothing."""


def http_result(status_code: int, body: str) -> SendResult:
    """A receiver's HTTP answer: 2xx delivered; a 4xx other than 408 and 429 a refusal that
    would only repeat; anything else (5xx, 408, 429, a redirect) worth another try."""
    if 200 <= status_code < 300:
        return SENT
    error = f"HTTP {status_code}: {body[:200]}".strip()
    if status_code in (408, 429) or status_code >= 500 or status_code < 400:
        return retry(error)
    return permanent(error)
