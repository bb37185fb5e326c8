"""Open live-event streams for the load benchmark: many dispatcher pages at once, a few of them
reading what arrives, to time a courier's ping to the moment a page shows it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp

from benchmarks.load_world import World

STREAMS = 300
# Streams whose events are read and timed; the others only drain their bytes (reading every
# stream would make the client, not the server, the bottleneck).
WATCHED = 10
# Streams are opened over this many seconds, as pages that load at about the same time.
OPEN_OVER_S = 1.0
POSITION = "position"


@dataclass
class StreamFigures:
    open_ms: list[float] = field(default_factory=list)
    refused: int = 0
    delivery_ms: list[float] = field(default_factory=list)


def _delivery_ms(line: str) -> float | None:
    """For a `data:` line of a position event, how long ago its ping was taken on the phone."""
    if not line.startswith("data:"):
        return None
    event = json.loads(line[5:])
    if event.get("kind") != POSITION:
        return None
    taken = datetime.fromisoformat(event["payload"]["device_at"])
    return (datetime.now(UTC) - taken).total_seconds() * 1000


async def _one(
    client: aiohttp.ClientSession,
    world: World,
    figures: StreamFigures,
    *,
    watched: bool,
    closing: asyncio.Event,
    hold_s: float,
) -> None:
    started = time.perf_counter()
    # The server ends the stream on its own after `timeout_s`: none outlives the run.
    params = {"timeout_s": str(hold_s + 30)}
    try:
        async with client.get("/live/events", params=params, headers=world.dispatcher()) as answer:
            figures.open_ms.append((time.perf_counter() - started) * 1000)
            if answer.status != 200:
                figures.refused += 1
                return
            reading = asyncio.ensure_future(_read(answer, figures) if watched else _drain(answer))
            await closing.wait()
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
                await reading
    except (aiohttp.ClientError, TimeoutError):
        figures.open_ms.append((time.perf_counter() - started) * 1000)
        figures.refused += 1


async def _read(answer: aiohttp.ClientResponse, figures: StreamFigures) -> None:
    async for line in answer.content:
        delivery = _delivery_ms(line.decode())
        if delivery is not None:
            figures.delivery_ms.append(delivery)


async def _drain(answer: aiohttp.ClientResponse) -> None:
    async for _chunk in answer.content.iter_any():
        pass


@contextlib.asynccontextmanager
async def streams_open(
    world: World, hold_s: float, count: int = STREAMS
) -> AsyncIterator[StreamFigures]:
    """`count` streams, open for the block (those the server accepts), closed at its end."""
    figures = StreamFigures()
    closing = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, connect=30, sock_connect=30)
    async with aiohttp.ClientSession(
        base_url=world.url, connector=connector, timeout=timeout
    ) as client:
        tasks = []
        for k in range(count):
            tasks.append(
                asyncio.create_task(
                    _one(
                        client,
                        world,
                        figures,
                        watched=k < WATCHED,
                        closing=closing,
                        hold_s=hold_s,
                    )
                )
            )
            await asyncio.sleep(OPEN_OVER_S / count)
        deadline = time.perf_counter() + 30
        while len(figures.open_ms) < count and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        try:
            yield figures
        finally:
            closing.set()
            await asyncio.gather(*tasks, return_exceptions=True)
