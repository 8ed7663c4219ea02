"""No portal page links to a page its viewer cannot open (issue #16): for every role, follow every
link the pages show (GET, within the portal) and never meet a 403."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client

from alerts.models import Alert
from exchange.models import User
from tests.factories import ROLES, Network

HREF = re.compile(r'href="([^"]+)"')
SKIP = ("/static/", "/api/", "/admin/", "/feeds/", "/accounts/logout", "/problems/")
LIMIT = 80


def _links(body: str) -> list[str]:
    found = []
    for href in HREF.findall(body):
        href = urldefrag(href.replace("&amp;", "&"))[0]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/") or href.startswith(SKIP):
            continue
        found.append(href)
    return found


@pytest.mark.parametrize("role", ROLES)
def test_no_page_links_to_a_page_the_role_cannot_open(
    role: str, network: Network, page: Callable[[User], Client], restricted_alert: Alert, draft_alert: Alert
) -> None:
    for regulator in (network.mhra, network.fda):
        client = page(regulator.users[role])
        seen: set[str] = {"/"}
        queue: list[tuple[str, str]] = [("/", "")]
        forbidden: list[tuple[str, str]] = []
        fetched = 0
        while queue and fetched < LIMIT:
            path, referrer = queue.pop(0)
            response = client.get(path)
            fetched += 1
            if response.status_code == 403:
                forbidden.append((referrer, path))
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            for link in _links(response.content.decode()):
                if link not in seen:
                    seen.add(link)
                    queue.append((link, path))
        assert fetched > 5
        assert not forbidden, f"{regulator.code} {role}: {forbidden}"
