"""An httpx transport that connects each request to an address judged for it (DNS pinning)."""

from __future__ import annotations

import logging

import httpx

from infra import outbound

log = logging.getLogger(__name__)


class PinnedTransport(httpx.BaseTransport):
    """Resolves a request's host once, refuses it unless every address is public, and sends
    the request to one of those addresses, never to the name: a lookup of its own by the
    connection could answer with another address (DNS rebinding).

    The URL's host stays the Host header, the TLS server name and the name the certificate
    must be valid for. Raises outbound.TargetRefused and outbound.TargetNotResolved.
    """

    def __init__(
        self,
        *,
        resolver: outbound.Resolver = outbound.resolve_host,
        allow_private: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """`allow_private` still pins the connection, only without judging the addresses;
        `transport` carries the pinned requests (its TLS settings apply)."""
        self._resolver = resolver
        self._allow_private = allow_private
        self._transport = transport if transport is not None else httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        addresses = outbound.checked_addresses(
            str(request.url), resolver=self._resolver, allow_private=self._allow_private
        )
        *others, last = addresses
        for address in others:
            try:
                return self._transport.handle_request(_pinned(request, address))
            except httpx.ConnectError as exc:
                # Nothing was sent yet, so the next address may be tried, as a connection to the
                # name would (an IPv6 address on a host without an IPv6 route, for one).
                log.info(
                    "%s not reached at %s (%r); trying the next address",
                    request.url.host,
                    address,
                    exc,
                )
        return self._transport.handle_request(_pinned(request, last))

    def close(self) -> None:
        self._transport.close()


def _pinned(request: httpx.Request, address: outbound.IpAddress) -> httpx.Request:
    """`request` addressed to `address`, still naming its host to the server and to TLS."""
    return httpx.Request(
        request.method,
        request.url.copy_with(host=str(address)),
        # They hold the Host header the client built from the URL's name.
        headers=request.headers,
        stream=request.stream,
        extensions={**request.extensions, "sni_hostname": request.url.raw_host.decode("ascii")},
    )
