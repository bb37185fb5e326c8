"""Where outgoing requests to addresses others configure (the shop's webhook) may go.

Only public hosts: a URL whose host is, or resolves to, a loopback, private, link-local,
multicast, unspecified or otherwise non-global address is refused, so a webhook setting cannot
turn the server into a client of its own network (the database, a cloud metadata service).
A name is resolved once per request and the connection goes to an address that was judged
(see pinned_transport), so a second lookup cannot swap in a private one (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Host name -> its addresses; raises OSError when the name does not resolve.
Resolver = Callable[[str], Iterable[str]]

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


class TargetNotResolved(Exception):
    """The host name did not resolve (now): worth trying again later."""


def resolve_host(host: str) -> list[str]:
    """Every address the system resolver gives for `host`, in its order of preference (the
    order connections try them in). Raises OSError."""
    return list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(host, None)))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), which is what it reaches."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _literal_address(host: str) -> IpAddress | None:
    """The address `host` spells, also in the legacy IPv4 forms resolvers accept
    (`2130706433`, `0x7f.1`, `127.1` are all 127.0.0.1)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def address_refusal(address: IpAddress) -> str | None:
    """Why a request must not go to `address`, or None when it is a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_refusal(embedded)
    for kind, matches in (
        ("an unspecified", address.is_unspecified),
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("a multicast", address.is_multicast),
        ("a private", address.is_private),
    ):
        if matches:
            return f"{address} is {kind} address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


class TargetRefused(Exception):
    """The URL is not a public http(s) target; the message says why."""


def _host_of(url: str) -> str:
    """The host of an http(s) URL. Raises TargetRefused."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise TargetRefused(f"{url!r} is not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise TargetRefused(f"{url!r} is not an http(s) URL with a host")
    return host


def _judged(url: str, resolver: Resolver | None, *, allow_private: bool) -> list[IpAddress]:
    """The addresses `url`'s host reaches, each judged unless `allow_private`; none for a name
    without a resolver. Raises TargetRefused or TargetNotResolved."""
    host = _host_of(url)
    literal = _literal_address(host)
    if literal is not None:
        refusal = None if allow_private else address_refusal(literal)
        if refusal is not None:
            raise TargetRefused(refusal)
        return [literal]
    name = host.rstrip(".").lower()
    if not allow_private and (name in _LOCAL_NAMES or name.endswith(".localhost")):
        raise TargetRefused(f"{host} is a loopback name")
    if resolver is None:
        return []
    try:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolver(name)]
    except (OSError, UnicodeError) as exc:
        raise TargetNotResolved(f"{host} does not resolve: {exc}") from exc
    if not addresses:
        raise TargetNotResolved(f"{host} does not resolve: no address")
    if not allow_private:
        for address in addresses:
            refusal = address_refusal(address)
            if refusal is not None:
                raise TargetRefused(f"{host} resolves to {refusal}")
    return addresses


def checked_addresses(
    url: str, *, resolver: Resolver = resolve_host, allow_private: bool = False
) -> list[IpAddress]:
    """The addresses a request to `url` may connect to, resolved once: the caller connects to
    one of these, never to the name, or a second lookup could answer differently (DNS
    rebinding). All must be public unless `allow_private`. Raises TargetRefused, or
    TargetNotResolved when the name does not resolve."""
    return _judged(url, resolver, allow_private=allow_private)


def url_refusal(url: str, *, resolver: Resolver | None = resolve_host) -> str | None:
    """Why `url` is not a public http(s) target, or None when it is.

    With `resolver=None` a host name is judged by its name only (configuration time, where no
    network is used); otherwise every address it resolves to must be public, since DNS answers
    change. Raises TargetNotResolved when the name does not resolve.
    """
    try:
        _judged(url, resolver, allow_private=False)
    except TargetRefused as exc:
        return str(exc)
    return None
