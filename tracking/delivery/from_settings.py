"""Channels and senders built from NotificationSettings, in the entry points."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from infra.settings import NotificationSettings, Settings
from tracking import notifications
from tracking.delivery.channels import Channel, LogChannel
from tracking.delivery.runner import SenderThread
from tracking.delivery.sender import OutboxSender, SenderConfig
from tracking.delivery.sms import HttpSmsProvider, LogSmsProvider, SmsChannel, SmsProvider
from tracking.delivery.smtp import SmtpChannel
from tracking.delivery.webhook import WebhookChannel


def make_channels(settings: NotificationSettings) -> dict[str, Channel]:
    """The channel for each kind of outbox row (e-mail, SMS, the shop's webhook)."""
    channels: dict[str, Channel] = {}
    if settings.email_channel == "smtp" and settings.smtp_host:
        password = settings.smtp_password
        channels[notifications.EMAIL] = SmtpChannel(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.email_from,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=password.get_secret_value() if password else None,
            timeout_s=settings.send_timeout_s,
        )
    else:
        channels[notifications.EMAIL] = LogChannel()
    if settings.sms_channel == "sms":
        channels[notifications.SMS] = SmsChannel(_sms_provider(settings))
    else:
        channels[notifications.SMS] = LogChannel()
    if settings.webhook_channel == "webhook" and settings.webhook_url and settings.webhook_secret:
        channels[notifications.WEBHOOK] = WebhookChannel(
            settings.webhook_url,
            settings.webhook_secret.get_secret_value(),
            timeout_s=settings.send_timeout_s,
            allow_private=settings.allow_private_webhooks,
        )
    else:
        channels[notifications.WEBHOOK] = LogChannel()
    return channels


def _sms_provider(settings: NotificationSettings) -> SmsProvider:
    if settings.sms_provider == "http" and settings.sms_url:
        token = settings.sms_token
        return HttpSmsProvider(
            settings.sms_url,
            token.get_secret_value() if token else None,
            sender=settings.sms_sender,
            timeout_s=settings.send_timeout_s,
        )
    return LogSmsProvider()


def sender_config(settings: Settings) -> SenderConfig:
    section = settings.notifications
    return SenderConfig(
        zone=settings.operation.zone,
        lease_s=section.lease_s,
        batch_size=section.batch_size,
        max_attempts=section.max_attempts,
        backoff_base_s=section.backoff_base_s,
        backoff_max_s=section.backoff_max_s,
        public_url=section.public_url,
    )


def make_sender_thread(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    now: Callable[[], datetime] | None = None,
) -> SenderThread:
    """A sender over the configured channels, in a thread that closes them when stopped."""
    channels = make_channels(settings.notifications)
    sender = OutboxSender(sessions, channels, sender_config(settings), now=now)
    return SenderThread(sender, poll_s=settings.notifications.poll_s, channels=channels.values())
