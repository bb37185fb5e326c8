"""Webhook targets: only public hosts, judged when configured and again at every send."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from infra import outbound
from infra.settings import NotificationSettings, Settings
from tests.tracking.receivers import http_receiver, self_signed
from tracking.delivery.channels import Outcome, SendResult
from tracking.delivery.messages import Message
from tracking.delivery.webhook import WebhookChannel

REFUSED = [
    "http://127.0.0.1:8000/hook",
    "http://127.1/hook",
    "http://2130706433/hook",
    "http://0x7f.0.0.1/hook",
    "http://localhost/hook",
    "http://LOCALHOST./hook",
    "http://api.localhost/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.10/hook",
    "http://100.64.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://255.255.255.255/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[fd12:3456::1]/hook",
    "http://[ff02::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://[64:ff9b::a00:1]/hook",
    "http://[2002:c0a8:101::1]/hook",
    "ftp://93.184.216.34/hook",
    "file:///etc/passwd",
    "http:///hook",
    "http://93.184.216.34:99999/hook",
]
PUBLIC = [
    "https://93.184.216.34/hook",
    "http://8.8.8.8:8080/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://shop.example.com/hooks/sameday",
]


@pytest.mark.parametrize("url", REFUSED)
def test_urls_on_loopback_private_link_local_multicast_or_unspecified_hosts_are_refused(url):
    assert outbound.url_refusal(url, resolver=None) is not None


@pytest.mark.parametrize("url", PUBLIC)
def test_public_hosts_pass_and_names_are_not_resolved_without_a_resolver(url):
    assert outbound.url_refusal(url, resolver=None) is None


def _resolves_to(*addresses: str) -> outbound.Resolver:
    return lambda _host: list(addresses)


def _does_not_resolve(_host: str) -> list[str]:
    raise OSError("temporary failure in name resolution")


def test_a_name_resolving_to_any_private_address_is_refused():
    resolver = _resolves_to("93.184.216.34", "10.0.0.7")

    refusal = outbound.url_refusal("https://shop.example.com/hook", resolver=resolver)

    assert refusal == "shop.example.com resolves to 10.0.0.7 is a private address"


def test_a_name_that_does_not_resolve_says_so():
    with pytest.raises(outbound.TargetNotResolved, match=r"shop\.example\.com"):
        outbound.url_refusal("https://shop.example.com/hook", resolver=_does_not_resolve)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://localhost/hook"])
def test_the_webhook_setting_is_refused_naming_the_variable(url):
    with pytest.raises(ValidationError, match="SAMEDAY_NOTIFICATIONS_WEBHOOK_URL is refused"):
        NotificationSettings(webhook_url=url)


def test_private_webhooks_are_an_explicit_opt_in_refused_in_production():
    allowed = NotificationSettings(
        webhook_url="http://127.0.0.1:9/hook", allow_private_webhooks=True
    )
    assert allowed.webhook_url == "http://127.0.0.1:9/hook"

    with pytest.raises(ValidationError, match="ALLOW_PRIVATE_WEBHOOKS must not be set"):
        Settings(
            _env_file=None,
            environment="production",
            security={"secret_key": "k" * 40},
            notifications={"allow_private_webhooks": True},
        )


def _message() -> Message:
    return Message(
        outbox_id=1,
        order_id=1,
        template_code="order_delivered",
        channel="webhook",
        recipient="shop",
        subject="Delivered",
        text="Delivered",
        payload={},
        created_at=datetime(2025, 3, 4, tzinfo=UTC),
    )


def _port_of(url: str) -> int:
    return httpx.URL(url).port or 0


def _send_once(url: str, **options: Any) -> SendResult:
    channel = WebhookChannel(url, "secret", timeout_s=5, **options)
    try:
        return channel.send(_message())
    finally:
        channel.close()


@pytest.mark.parametrize(
    "answers", [["127.0.0.1"], ["93.184.216.34", "127.0.0.1"]], ids=["loopback", "public-first"]
)
def test_a_webhook_whose_name_now_resolves_to_loopback_is_not_sent(answers):
    with http_receiver() as receiver:
        url = f"http://shop.example.com:{_port_of(receiver.url)}/hook"
        result = _send_once(url, resolver=_resolves_to(*answers))

    assert result.outcome is Outcome.PERMANENT
    assert "127.0.0.1 is a loopback address" in (result.error or "")
    assert receiver.requests == []


def test_a_webhook_on_a_literal_loopback_address_is_not_sent_without_the_opt_in():
    with http_receiver() as receiver:
        refused = WebhookChannel(receiver.url, "secret", timeout_s=5)
        allowed = WebhookChannel(receiver.url, "secret", timeout_s=5, allow_private=True)
        results = [refused.send(_message()), allowed.send(_message())]
        refused.close()
        allowed.close()

    assert [r.outcome for r in results] == [Outcome.PERMANENT, Outcome.SENT]
    assert len(receiver.requests) == 1


def test_a_webhook_whose_name_does_not_resolve_is_tried_again_later():
    channel = WebhookChannel(
        "https://shop.example.com/hook", "s", timeout_s=5, resolver=_does_not_resolve
    )

    assert channel.send(_message()).outcome is Outcome.RETRY
    channel.close()


def test_the_connection_goes_to_the_address_that_was_judged_not_to_a_second_lookup():
    answers = iter([["93.184.216.34"]])

    def rebinding(_host: str) -> list[str]:
        # Public for the first lookup; loopback for any later one, as a rebinding attack does.
        return next(answers, ["127.0.0.1"])

    sent: list[httpx.Request] = []

    def public_server(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, text="ok")

    with http_receiver() as loopback:
        url = f"http://shop.example.com:{_port_of(loopback.url)}/hook"
        result = _send_once(url, resolver=rebinding, transport=httpx.MockTransport(public_server))

    assert result.outcome is Outcome.SENT
    assert loopback.requests == []
    [request] = sent
    assert request.url.host == "93.184.216.34"
    assert request.headers["Host"] == f"shop.example.com:{_port_of(loopback.url)}"
    assert request.extensions["sni_hostname"] == "shop.example.com"


def test_an_allowed_private_target_is_reached_at_the_address_resolved_not_the_systems():
    # The system resolver says 127.0.0.1 for localhost; the webhook's resolver says 127.0.0.2.
    with http_receiver(host="127.0.0.2") as receiver:
        port = _port_of(receiver.url)
        result = _send_once(
            f"http://localhost:{port}/hook",
            allow_private=True,
            resolver=_resolves_to("127.0.0.2"),
        )

    assert result.outcome is Outcome.SENT, result.error
    [request] = receiver.requests
    assert request.headers["Host"] == f"localhost:{port}"


def test_an_address_that_refuses_the_connection_gives_way_to_the_next_one_resolved():
    with http_receiver(host="127.0.0.2") as receiver:
        result = _send_once(
            f"http://shop.example.com:{_port_of(receiver.url)}/hook",
            allow_private=True,
            resolver=_resolves_to("127.0.0.3", "127.0.0.2"),
        )

    assert result.outcome is Outcome.SENT, result.error
    assert len(receiver.requests) == 1


def test_tls_to_a_pinned_address_checks_the_certificate_against_the_urls_name(tmp_path):
    cert_path, key_path = self_signed(tmp_path, "shop.example.com")
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_path, key_path)
    client_tls = ssl.create_default_context(cafile=str(cert_path))

    def send_to(host: str, port: int) -> SendResult:
        return _send_once(
            f"https://{host}:{port}/hook",
            allow_private=True,
            resolver=_resolves_to("127.0.0.1"),
            transport=httpx.HTTPTransport(verify=client_tls),
        )

    with http_receiver(tls=server_tls) as receiver:
        port = _port_of(receiver.url)
        results = [send_to("shop.example.com", port), send_to("other.example.com", port)]

    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.RETRY]
    assert "certificate" in (results[1].error or "").lower()
    [request] = receiver.requests
    assert request.headers["Host"] == f"shop.example.com:{port}"
