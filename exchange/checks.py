"""`manage.py check --deploy`: what a deployment's settings must say about its public base URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def site_url_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Behind TLS (SECURE_SSL_REDIRECT=1) the links that leave the service must be https, and point
    at a name the recipients can reach (not this machine)."""
    url = urlsplit(settings.SITE_URL)
    problems: list[CheckMessage] = []
    if settings.SECURE_SSL_REDIRECT and url.scheme != "https":
        problems.append(Warning(
            f"SITE_URL={settings.SITE_URL!r} is not https although SECURE_SSL_REDIRECT is on: e-mails, feeds "
            "and exports would link to plain http.", hint="Set SITE_URL to the https address users reach.",
            id="sax.W001",
        ))
    if url.hostname in {"127.0.0.1", "localhost", "::1"}:
        problems.append(Warning(
            f"SITE_URL={settings.SITE_URL!r} points at this machine: links in e-mails, feeds and exports "
            "would not reach anyone else.", hint="Set SITE_URL to the service's public base URL.",
            id="sax.W002",
        ))
    return problems
