"""SMS: the channel hands the text to a provider; providers are swappable behind a Protocol."""

from __future__ import annotations

import logging
from typing import Protocol

import httpx

from tracking.delivery.channels import SENT, SendResult, http_result, retry
from tracking.delivery.messages import Message

log = logging.getLogger(__name__)


class SmsProvider(Protocol):
    def send_sms(self, to: str, text: str, *, key: str) -> SendResult:
        """Sends `text` to the phone number `to`; `key` identifies the message (a provider
        that supports idempotency keys drops a resend)."""
        ...

    def close(self) -> None: ...


class LogSmsProvider:
    """Writes each SMS to the log as it would be sent."""

    def send_sms(self, to: str, text: str, *, key: str) -> SendResult:
        log.info("SMS %s to %s: %s", key, to, text.replace("\n", " "))
        return SENT

    def close(self) -> None:
        """Holds nothing."""


class HttpSmsProvider:
    """A generic HTTP gateway: POST {to, text, from, reference} as JSON with a bearer token."""

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        sender: str | None,
        timeout_s: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._url = url
        self._sender = sender
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers, transport=transport)

    def send_sms(self, to: str, text: str, *, key: str) -> SendResult:
        body = {"to": to, "text": text, "from": self._sender, "reference": key}
        try:
            response = self._client.post(self._url, json=body, headers={"Idempotency-Key": key})
        except httpx.HTTPError as exc:
            return retry(f"SMS gateway not reached: {exc!r}")
        return http_result(response.status_code, response.text)

    def close(self) -> None:
        self._client.close()


class SmsChannel:
    def __init__(self, provider: SmsProvider) -> None:
        self._provider = provider

    def send(self, message: Message) -> SendResult:
        return self._provider.send_sms(message.recipient, message.text, key=str(message.outbox_id))

    def close(self) -> None:
        self._provider.close()
