"""Where webhooks may go (SPEC §5): https only, and only to public addresses.

Checked twice: when an endpoint is saved (`url_check`), and when a request is sent, against the
address actually connected to (`GuardedResolver`, through which the sender resolves every name
it connects to: it refuses any non-public answer and the connection goes to the address it
checked, so DNS rebinding cannot slip a private address in between). `WEBHOOK_ALLOW_PRIVATE_URLS` lifts both rules for development and
tests: plain http and local addresses are then allowed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# NAT64 (RFC 6052) embeds an IPv4 address in the last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)


class UnsafeDestination(Exception):
    """The URL or the address it resolves to is not allowed for webhooks."""


def allow_private() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_URLS)


def address_is_public(address: IPAddress | str) -> bool:
    """True only for globally routable unicast addresses, including inside IPv6 wrappings."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return address_is_public(ip.ipv4_mapped)
        if ip in _NAT64:
            return address_is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip in _NAT64_LOCAL or ip.teredo is not None:
            return False
        if ip.sixtofour is not None and not address_is_public(ip.sixtofour):
            return False
        if ip.is_site_local or ip.scope_id:
            return False
    return bool(
        ip.is_global
        and not (
            ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified
        )
    )


def host_as_address(host: str) -> IPAddress | None:
    """The address a host names literally, in any spelling a resolver accepts: dotted, decimal
    (2130706433), octal (0177.0.0.1), hex (0x7f.1), shortened (127.1), IPv6 (also IPv4-mapped)."""
    host = host.strip().rstrip(".").strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int


def url_parse(url: str) -> Target:
    """The scheme, host and port of an acceptable webhook URL, or UnsafeDestination saying why not."""
    if len(url) > 2000:
        raise UnsafeDestination("The URL is longer than 2000 characters.")
    if any(ch.isspace() for ch in url) or any(ord(ch) < 32 for ch in url):
        raise UnsafeDestination("The URL contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination(f"The URL is not valid: {exc}.") from exc
    scheme = parts.scheme.lower()
    allowed = {"https", "http"} if allow_private() else {"https"}
    if scheme not in allowed:
        raise UnsafeDestination("Webhook URLs must use https.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("Webhook URLs must not carry credentials (user:password@).")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeDestination("The URL has no host.")
    if "%" in host:
        raise UnsafeDestination("IPv6 zone identifiers are not allowed in webhook URLs.")
    return Target(scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80))


def _refuse_unless_public(host: str, addresses: Iterable[str]) -> list[str]:
    found = list(dict.fromkeys(addresses))
    if not found:
        raise UnsafeDestination(f"{host} does not resolve to any address.")
    for address in found:
        if not address_is_public(address):
            raise UnsafeDestination(
                f"{host} resolves to {address}, which is not a public address "
                "(loopback, private, link-local, multicast and reserved addresses are refused)."
            )
    return found


def _host_refused_by_name(host: str) -> bool:
    lowered = host.lower()
    return lowered == "localhost" or lowered.endswith(".localhost")


def url_check(url: str) -> str:
    """Check a URL at save time: https, and every address its host resolves to is public.

    Returns the URL as given. With WEBHOOK_ALLOW_PRIVATE_URLS only the form is checked.
    """
    target = url_parse(url)
    if allow_private():
        return url
    if _host_refused_by_name(target.host):
        raise UnsafeDestination(f"{target.host} is a local name.")
    literal = host_as_address(target.host)
    if literal is not None:
        _refuse_unless_public(target.host, [str(literal)])
        return url
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeDestination(f"{target.host} cannot be resolved ({exc.strerror or exc}).") from exc
    _refuse_unless_public(target.host, [str(info[4][0]) for info in infos])
    return url


async def resolve_checked(host: str, port: int) -> list[str]:
    """Resolve at send time; every answer must be public (unless private URLs are allowed)."""
    literal = host_as_address(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        if not allow_private() and _host_refused_by_name(host):
            raise UnsafeDestination(f"{host} is a local name.")
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise UnsafeDestination(f"{host} cannot be resolved ({exc.strerror or exc}).") from exc
        addresses = [str(info[4][0]) for info in infos]
    if allow_private():
        return list(dict.fromkeys(addresses))
    return _refuse_unless_public(host, addresses)


def literal_address_check(host: str) -> None:
    """Refuse a host that is itself a non-public address (the HTTP client connects to a literal
    address without asking the resolver, so it is checked here, at send time)."""
    if allow_private():
        return
    if _host_refused_by_name(host):
        raise UnsafeDestination(f"{host} is a local name.")
    literal = host_as_address(host)
    if literal is not None:
        _refuse_unless_public(host, [str(literal)])


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that answers only checked addresses, at connect time.

    aiohttp connects to the addresses the resolver returns and still knows the endpoint by its
    host name, which TLS uses for SNI and certificate verification; so the TCP connection goes to
    the address resolved and checked here, and DNS rebinding cannot slip a private one in. The
    connector must not cache answers (`use_dns_cache=False`): every new connection is checked.
    """

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        addresses = await resolve_checked(host, port)
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in addresses
        ]

    async def close(self) -> None:
        return None
