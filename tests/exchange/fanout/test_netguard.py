"""SSRF guard (SPEC §5): https only, public addresses only, checked at save time and at send time."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from exchange.models import Delivery
from exchange.netguard import UnsafeDestination, address_is_public, host_as_address, url_check
from exchange.services.endpoints import endpoint_create
from exchange.services.subscriptions import subscription_create
from tests.exchange.fanout.helpers import publish, pump
from tests.factories import Network
from tests.integration.receiver import Receiver

LOOPBACK_SPELLINGS = [
    "127.0.0.1", "2130706433", "017700000001", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1", "127.0.1",
    "0x7f.1", "::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "0:0:0:0:0:ffff:7f00:1", "127.000.000.001.",
]
OTHER_REFUSED = [
    "10.0.0.1", "172.16.5.4", "192.168.1.1", "0300.0250.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",  # noqa: S104
    "0",
    "224.0.0.1", "239.255.255.250", "255.255.255.255", "fe80::1", "fc00::1", "ff02::1", "::", "::ffff:10.0.0.1",
    "64:ff9b::a9fe:a9fe", "2002:a00:1::1", "2001:db8::1", "198.18.0.1", "192.0.2.1",
]
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS + OTHER_REFUSED)
def test_non_public_addresses_in_every_spelling(host: str) -> None:
    address = host_as_address(host)
    assert address is not None
    assert not address_is_public(address)


@pytest.mark.parametrize("host", PUBLIC)
def test_public_addresses(host: str) -> None:
    address = host_as_address(host)
    assert address is not None
    assert address_is_public(address)


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS + OTHER_REFUSED)
def test_urls_naming_them_are_refused(settings: Any, host: str) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    literal = f"[{host}]" if ":" in host else host
    with pytest.raises(UnsafeDestination):
        url_check(f"https://{literal}/hook")


def test_names_resolving_to_private_addresses_are_refused(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    answers = {"inside.example.com": "10.1.2.3", "mixed.example.com": "93.184.215.14"}

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        result = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        if host == "mixed.example.com":
            result.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)))
        return result

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(UnsafeDestination, match=r"10\.1\.2\.3"):
        url_check("https://inside.example.com/hook")
    with pytest.raises(UnsafeDestination, match="::1"):
        url_check("https://mixed.example.com/hook")
    for url in ("https://localhost/x", "https://api.localhost/x", "http://93.184.215.14/x", "https://u:p@x.example/x"):
        with pytest.raises(UnsafeDestination):
            url_check(url)


def test_allow_private_urls_lifts_both_rules(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert url_check("http://127.0.0.1:8080/hook") == "http://127.0.0.1:8080/hook"
    with pytest.raises(UnsafeDestination):
        url_check("ftp://127.0.0.1/hook")


@pytest.mark.django_db
def test_the_address_is_checked_again_at_send_time(
    network: Network, receiver: Receiver, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: a name that was public when saved resolves to loopback when sent to."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    port = receiver.server.server_address[1]
    answer = {"address": "93.184.215.14"}
    real = socket.getaddrinfo

    def fake(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        if host == "rebind.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer["address"], port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    endpoint = endpoint_create(actor=network.fda.admin, member=network.fda.member,
                               url=f"https://rebind.example.com:{port}/hook")
    subscription_create(actor=network.fda.admin, member=network.fda.member, name="all",
                        webhook_endpoints=[str(endpoint.pk)])
    answer["address"] = "127.0.0.1"
    publish()

    pump()

    assert receiver.received() == []
    delivery = Delivery.objects.get()
    assert "127.0.0.1" in delivery.last_error
    assert "not a public address" in delivery.last_error


@pytest.mark.django_db
def test_names_are_resolved_and_connected_to_when_private_urls_are_allowed(network: Network, receiver: Receiver) -> None:
    port = receiver.server.server_address[1]
    endpoint = endpoint_create(actor=network.fda.admin, member=network.fda.member, url=f"http://localhost:{port}/named")
    subscription_create(actor=network.fda.admin, member=network.fda.member, name="all",
                        webhook_endpoints=[str(endpoint.pk)])
    publish()

    assert pump().succeeded == 1
    assert receiver.received("/named")[0].headers["host"] == f"localhost:{port}"
