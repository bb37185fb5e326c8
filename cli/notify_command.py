"""`sameday notify`: send the queued customer notifications, outside the API process."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from infra.db import make_engine, make_session_factory
from infra.migrate import SchemaOutOfDate, ensure_schema_current
from infra.settings import Settings
from tracking.delivery.from_settings import make_channels, sender_config
from tracking.delivery.sender import OutboxSender, SendCounts


def _line(counts: SendCounts) -> str:
    return (
        f"sent {counts.sent}, failed for good {counts.failed}, to try again later {counts.retrying}"
    )


def notify(
    once: Annotated[
        bool, typer.Option("--once", help="Send what is due now, print the counts and exit")
    ] = False,
) -> None:
    """Send queued notifications through the configured channels (SAMEDAY_NOTIFICATIONS_*).

    Without --once it keeps sending until interrupted; several may run at once, and next to
    the API's own sender: each message goes to one of them.
    """
    settings = Settings()
    engine = make_engine(settings)
    channels = make_channels(settings.notifications)
    try:
        ensure_schema_current(engine)
        sender = OutboxSender(make_session_factory(engine), channels, sender_config(settings))
        if once:
            typer.echo(_line(sender.drain()))
            return
        typer.echo(f"sending notifications as {sender.owner}; Ctrl-C stops")
        while True:
            counts = sender.send_due()
            if counts.claimed:
                typer.echo(_line(counts))
            else:
                time.sleep(settings.notifications.poll_s)
    except SchemaOutOfDate as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo("stopped")
    finally:
        for channel in channels.values():
            channel.close()
        engine.dispose()
