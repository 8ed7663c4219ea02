"""Impossible path parameters (SPEC §6 "Bad input"): a NUL, a lone percent-escape or a value no id
can take is a 404 on every route — API, portal and public pages — never a 500."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import Network
from tests.portal_support import with_password

HOSTILE = ["%00", "a%00b", "%C0%80", "%ED%A0%80", "9" * 40, "-1", "SAX-2026-%00%00%00%00%00%00"]
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _routes() -> list[str]:
    """Every URL pattern with parameters, as a template with `{}` where each parameter goes."""
    found: list[str] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for pattern in resolver.url_patterns:
            text = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
            if isinstance(pattern, URLResolver):
                walk(pattern, text)
            elif isinstance(pattern, URLPattern) and PARAMETER.search(text) and "admin/" not in text:
                if r"\.(?P<format>" in text or "format" in text:
                    continue
                found.append(PARAMETER.sub("{}", text))

    walk(get_resolver(), "/")
    return sorted(set(found))


@pytest.mark.parametrize("value", HOSTILE)
def test_an_impossible_path_parameter_is_a_404_everywhere(network: Network, api: Any, value: str) -> None:
    user = network.mhra.admin
    with_password(user)
    session = Client()
    session.force_login(user)
    caller = api(user)
    routes = _routes()
    assert any(r.startswith("/public/alerts/") for r in routes)
    failures = []
    for route in routes:
        path = route.replace("{}", value)
        client = caller.client if path.startswith("/api/") else session
        response = client.get(path)
        if response.status_code == 405:  # an action: ask it the way it is used
            response = client.post(path, "{}", content_type="application/json")
        if route.startswith("/accounts/password/reset/"):
            # Django's reset-confirm page answers an invalid link with a page saying so.
            assert response.status_code < 500, path
            continue
        if response.status_code != 404:
            failures.append((path, response.status_code))
    assert not failures, failures


def test_the_public_pages_answer_404_for_a_nul(db: None, client: Client) -> None:
    assert client.get("/public/alerts/%00/").status_code == 404
    assert client.get("/public/alerts/%00/cap.xml").status_code == 404
