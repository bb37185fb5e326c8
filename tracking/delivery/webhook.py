"""The shop's webhook: a signed JSON POST per message.

The signature is `sha256=` and the hex HMAC-SHA256, under the shared secret, of
`<timestamp>.<raw body>`; the timestamp (Unix seconds) travels in its own header, so a receiver
that checks the signature and refuses old timestamps cannot be fed a replayed request.
`X-Sameday-Delivery` carries the outbox id: the same message sent twice has the same id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable

import httpx

from infra import outbound
from infra.pinned_transport import PinnedTransport
from tracking.delivery.channels import SendResult, http_result, permanent, retry
from tracking.delivery.messages import Message

SIGNATURE_HEADER = "X-Sameday-Signature"
TIMESTAMP_HEADER = "X-Sameday-Timestamp"
DELIVERY_HEADER = "X-Sameday-Delivery"
EVENT_HEADER = "X-Sameday-Event"
# How old a signed request a receiver should still accept.
DEFAULT_TOLERANCE_S = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of the signature header for `body` sent at `timestamp`."""
    signed = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature_header: str,
    now_s: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent."""
    try:
        sent_s = int(timestamp)
    except ValueError:
        return False
    if abs(now_s - sent_s) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), signature_header)


def body_of(message: Message) -> bytes:
    document = {
        "delivery_id": message.outbox_id,
        "event": message.template_code,
        "order_id": message.order_id,
        "created_at": message.created_at.isoformat(),
        "subject": message.subject,
        "text": message.text,
        "data": dict(message.payload),
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")


class WebhookChannel:
    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout_s: float,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        allow_private: bool = False,
        resolver: outbound.Resolver = outbound.resolve_host,
    ) -> None:
        """`allow_private` lets the target be on this machine or a private network
        (development and tests); otherwise its host is resolved and judged at every send,
        since DNS answers change after the settings were checked. Either way the connection
        goes to an address `resolver` gave for that send; `transport` carries the request."""
        self._url = url
        self._secret = secret
        self._clock = clock
        pinned = PinnedTransport(
            resolver=resolver, allow_private=allow_private, transport=transport
        )
        self._client = httpx.Client(timeout=timeout_s, transport=pinned)

    def send(self, message: Message) -> SendResult:
        body = body_of(message)
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            DELIVERY_HEADER: str(message.outbox_id),
            EVENT_HEADER: message.template_code,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
        }
        try:
            response = self._client.post(self._url, content=body, headers=headers)
        except outbound.TargetRefused as exc:
            return permanent(f"webhook target refused: {exc}")
        except outbound.TargetNotResolved as exc:
            return retry(f"webhook not reached: {exc}")
        except httpx.HTTPError as exc:
            return retry(f"webhook not reached: {exc!r}")
        return http_result(response.status_code, response.text)

    def close(self) -> None:
        self._client.close()
