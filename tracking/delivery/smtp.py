"""E-mail through an SMTP server (smtplib), plain, STARTTLS or TLS, with optional login."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Literal

from tracking.delivery.channels import SENT, SendResult, permanent, retry
from tracking.delivery.messages import Message

Security = Literal["none", "starttls", "ssl"]


def message_id(outbox_id: int, sender: str) -> str:
    """The same for every send of one outbox row, so a resent message is recognisably one."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<notification-{outbox_id}@{domain}>"


class SmtpChannel:
    """Opens a connection per message: messages are few, and no idle connection goes stale."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 15.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._security = security
        self._username = username
        self._password = password
        self._timeout_s = timeout_s
        self._tls = tls_context

    def email_of(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Message-ID"] = message_id(message.outbox_id, self._sender)
        email["X-Sameday-Delivery"] = str(message.outbox_id)
        email.set_content(message.text)
        return email

    def send(self, message: Message) -> SendResult:
        email = self.email_of(message)
        try:
            with self._connect() as smtp:
                if self._username:
                    smtp.login(self._username, self._password or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = f"recipient refused: {exc.recipients!r}"
            return permanent(error) if all(code >= 500 for code in codes) else retry(error)
        except smtplib.SMTPDataError as exc:
            # The server refused this message's content for good (5xx), or for now (4xx).
            error = f"message refused: {exc.smtp_code} {exc.smtp_error!r}"
            return permanent(error) if exc.smtp_code >= 500 else retry(error)
        except (smtplib.SMTPException, OSError) as exc:
            # Unreachable server, refused login or sender: our side or theirs, not this
            # message's fault, so it waits for the next attempt.
            return retry(f"SMTP {self._host}:{self._port}: {exc!r}")
        return SENT

    def _connect(self) -> smtplib.SMTP:
        if self._security == "ssl":
            context = self._tls or ssl.create_default_context()
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout_s, context=context
            )
        smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout_s)
        if self._security == "starttls":
            try:
                smtp.starttls(context=self._tls or ssl.create_default_context())
            except (smtplib.SMTPException, OSError):
                smtp.close()
                raise
        return smtp

    def close(self) -> None:
        """Holds no connection between messages."""
