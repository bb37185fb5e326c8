"""Server-sent events from the live event log: resumable, bounded, and gone with their client."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from api.live_hub import LiveHub, StreamFilter, StreamSlot, Subscription, sse_event

# How often a waiting stream checks that its client is still there.
DISCONNECT_CHECK_S = 1.0


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """When a stream ends on its own: after `max_events` events or `timeout_s` seconds (a
    script that wants the next few events); None keeps it open while the client is there."""

    max_events: int | None = None
    timeout_s: float | None = None


async def event_stream(
    hub: LiveHub,
    slot: StreamSlot,
    stream_filter: StreamFilter,
    *,
    after: int | None,
    limits: StreamLimits,
    disconnected: Callable[[], Awaitable[bool]],
) -> AsyncIterator[str]:
    """The events after `after` (None: from now on), then new ones as they are committed,
    with a comment line when idle for `heartbeat_s`; ends when the client goes away or a
    limit is reached. Whatever is waiting goes out in one write: a stream costs a write per
    wake-up of the reader, not one per event. Holds its slot until it ends."""
    settings = hub.settings
    subscription: Subscription | None = None
    started = time.monotonic()
    deadline = started + limits.timeout_s if limits.timeout_s is not None else None
    sent = 0
    try:
        subscription = await hub.subscribe(stream_filter)
        yield f"retry: {settings.retry_ms}\n\n"
        last = subscription.start_id if after is None else after
        last_write = time.monotonic()
        # Catch up from the log to where the shared reader took over.
        while last < subscription.start_id:
            page = await anyio.to_thread.run_sync(
                hub.read_page, last, subscription.start_id, stream_filter
            )
            if limits.max_events is not None:
                page = page[: limits.max_events - sent]
            if not page:
                break
            yield "".join(sse_event(record) for record in page)
            last, sent, last_write = page[-1].id, sent + len(page), time.monotonic()
            if limits.max_events is not None and sent >= limits.max_events:
                return
        while not subscription.overflowed:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return
            if await disconnected():
                return
            wait_s = min(DISCONNECT_CHECK_S, max(0.0, last_write + settings.heartbeat_s - now))
            if deadline is not None:
                wait_s = min(wait_s, deadline - now)
            waiting = await subscription.take(wait_s)
            if not waiting:
                if time.monotonic() - last_write >= settings.heartbeat_s:
                    yield ": keep-alive\n\n"
                    last_write = time.monotonic()
                continue
            chunk = []
            for fresh in waiting:
                if fresh.record.id <= last:
                    continue  # the client had it already (it resumed from a newer id)
                chunk.append(fresh.text)
                last, sent = fresh.record.id, sent + 1
                if limits.max_events is not None and sent >= limits.max_events:
                    break
            if chunk:
                yield "".join(chunk)
                last_write = time.monotonic()
            if limits.max_events is not None and sent >= limits.max_events:
                return
        # Fell too far behind: ending makes the browser reconnect and catch up from the log.
    finally:
        if subscription is not None:
            hub.unsubscribe(subscription)
        slot.release()


class EventStreamResponse(StreamingResponse):
    """A text/event-stream response that frees its stream's slot however it ends, also when
    the client is gone before the first byte (its generator then never starts)."""

    media_type = "text/event-stream"

    def __init__(self, content: AsyncIterator[str], slot: StreamSlot) -> None:
        super().__init__(
            content,
            headers={
                "Cache-Control": "no-cache",
                # Proxies such as nginx would otherwise buffer the stream.
                "X-Accel-Buffering": "no",
            },
        )
        self._stream = content
        self._slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Shielded: when the connection is cancelled, closing must still run its cleanup.
            with anyio.CancelScope(shield=True):
                close: Any = getattr(self._stream, "aclose", None)
                if close is not None:
                    await close()
            self._slot.release()
