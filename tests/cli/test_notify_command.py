"""`sameday notify --once`: sends what is due through the configured channels and says how many."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from infra.db import make_engine, make_session_factory
from infra.migrate import upgrade
from infra.models import NotificationOutbox
from tests.conftest import make_settings
from tests.factories import make_order
from tests.tracking.receivers import http_receiver
from tracking import notifications

runner = CliRunner()


def test_notify_once_sends_the_queue_and_prints_the_counts(
    fresh_database_url, monkeypatch, tmp_path
):
    url = fresh_database_url()
    settings = make_settings(url)
    upgrade(settings)
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        session.info[notifications.SHOP_COPY_INFO_KEY] = True
        for email in ("ada@example.org", "bob@example.org"):
            order = make_order(session, recipient_email=email)
            notifications.notify_customer(
                session, order, notifications.DELIVERED, now=datetime.now(UTC)
            )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAMEDAY_DATABASE_URL", url)
    monkeypatch.setenv("SAMEDAY_NOTIFICATIONS_WEBHOOK_SECRET", "shop-shared-secret")
    monkeypatch.setenv("SAMEDAY_NOTIFICATIONS_WEBHOOK_CHANNEL", "webhook")
    monkeypatch.setenv("SAMEDAY_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS", "true")  # 127.0.0.1

    with http_receiver(statuses=[200, 400]) as receiver:
        monkeypatch.setenv("SAMEDAY_NOTIFICATIONS_WEBHOOK_URL", receiver.url)
        result = runner.invoke(app, ["notify", "--once"])

    assert result.exit_code == 0, result.output
    # Two e-mails to the log channel, one webhook accepted and one refused.
    assert "sent 3, failed for good 1, to try again later 0" in result.output
    assert [json.loads(r.body)["event"] for r in receiver.requests] == ["order_delivered"] * 2
    with sessions() as session:
        statuses = sorted(s.value for s in session.scalars(select(NotificationOutbox.status)))
    assert statuses == ["failed", "sent", "sent", "sent"]
    engine.dispose()
