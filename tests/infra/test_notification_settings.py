"""Notification settings: read from SAMEDAY_NOTIFICATIONS_* variables, checked for completeness."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from infra.settings import NotificationSettings, Settings
from tracking.delivery.channels import LogChannel
from tracking.delivery.from_settings import make_channels
from tracking.delivery.sms import SmsChannel
from tracking.delivery.smtp import SmtpChannel
from tracking.delivery.webhook import WebhookChannel


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("SAMEDAY_")]:
        monkeypatch.delenv(name)


def test_by_default_every_message_goes_to_the_log_and_the_sender_runs_in_process():
    settings = Settings().notifications
    channels = make_channels(settings)

    assert settings.send_in_process
    assert settings.webhook_url is None
    assert {name: type(c) for name, c in channels.items()} == {
        "email": LogChannel,
        "sms": LogChannel,
        "webhook": LogChannel,
    }


def test_channels_are_chosen_by_sameday_notifications_variables(monkeypatch):
    for name, value in {
        "EMAIL_CHANNEL": "smtp",
        "SMTP_HOST": "mail.example.com",
        "SMTP_PASSWORD": "hunter22",
        "SMS_CHANNEL": "sms",
        "SMS_PROVIDER": "http",
        "SMS_URL": "https://sms.example.com/send",
        "WEBHOOK_CHANNEL": "webhook",
        "WEBHOOK_URL": "https://shop.example.com/hooks/sameday",
        "WEBHOOK_SECRET": "shop-shared-secret",
        "POLL_S": "0.5",
    }.items():
        monkeypatch.setenv(f"SAMEDAY_NOTIFICATIONS_{name}", value)

    settings = Settings().notifications
    channels = make_channels(settings)

    assert settings.smtp_host == "mail.example.com"
    assert settings.poll_s == 0.5
    assert "hunter22" not in repr(settings)
    assert isinstance(channels["email"], SmtpChannel)
    assert isinstance(channels["sms"], SmsChannel)
    assert isinstance(channels["webhook"], WebhookChannel)
    for channel in channels.values():
        channel.close()


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"email_channel": "smtp"}, "SMTP_HOST"),
        ({"webhook_channel": "webhook", "webhook_url": "https://x.example"}, "WEBHOOK_SECRET"),
        ({"sms_channel": "sms", "sms_provider": "http"}, "SMS_URL"),
        ({"lease_s": 10, "send_timeout_s": 15}, "lease_s"),
        ({"backoff_base_s": 60, "backoff_max_s": 30}, "backoff_max_s"),
    ],
)
def test_an_incomplete_channel_is_refused_at_startup_naming_what_is_missing(values, complaint):
    with pytest.raises(ValidationError, match=complaint):
        NotificationSettings(**values)
