"""Real local receivers for the notification channels: an HTTP server and an SMTP server."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    """Records every POST; answers with the queued statuses in turn, then 200."""

    url: str
    requests: list[Request] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    # Each answer waits this long: a slow receiver, to make concurrent senders overlap.
    delay_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200

    def record(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)

    def delivery_ids(self) -> list[str]:
        with self.lock:
            return [r.headers["X-Sameday-Delivery"] for r in self.requests]


@contextmanager
def http_receiver(
    statuses: list[int] | None = None,
    *,
    delay_s: float = 0.0,
    host: str = "127.0.0.1",
    tls: ssl.SSLContext | None = None,
) -> Iterator[HttpReceiver]:
    """Listens on `host` (any 127.x address is this machine), over TLS with `tls`."""
    receiver: HttpReceiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.record(Request(self.path, dict(self.headers.items()), body))
            time.sleep(receiver.delay_s)
            status = receiver.next_status()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"refused")

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read the recorded requests."""

    server = ThreadingHTTPServer((host, 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "http" if tls is None else "https"
    receiver = HttpReceiver(f"{scheme}://{host}:{server.server_address[1]}/hook", delay_s=delay_s)
    receiver.statuses.extend(statuses or [])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class SmtpReceiver:
    port: int
    client_tls: ssl.SSLContext
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    # Recipients answered with this permanent refusal.
    refuse: set[str] = field(default_factory=set)


class _Handler:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self.receiver = receiver

    async def handle_RCPT(self, _server, _session, envelope, address, _options):
        if address in self.receiver.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server, _session, envelope):
        self.receiver.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.receiver.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"


def self_signed(directory: Path, host: str = "localhost") -> tuple[Path, Path]:
    """A certificate (its own authority) and key for `host`, and for 127.0.0.1 if localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    names: list[x509.GeneralName] = [x509.DNSName(host)]
    if host == "localhost":
        names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(names),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _free_port() -> int:
    # The controller checks it is up by connecting to its port, so it needs the number first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_receiver(
    directory: Path, *, username: str = "mailer", password: str = "s3cret"
) -> Iterator[SmtpReceiver]:
    """An SMTP server on 127.0.0.1 that requires STARTTLS and a login before taking mail."""
    cert_path, key_path = self_signed(directory)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_path, key_path)
    client_tls = ssl.create_default_context(cafile=str(cert_path))
    receiver = SmtpReceiver(port=_free_port(), client_tls=client_tls)

    def authenticate(_server, _session, _envelope, _mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == username
            and auth_data.password.decode() == password
        )
        if ok:
            receiver.logins.append(username)
        # Not "handled": the server then answers the failure with 535 itself.
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        _Handler(receiver),
        hostname="127.0.0.1",
        port=receiver.port,
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticate,
    )
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
