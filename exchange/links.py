"""Absolute links and identifiers of this deployment, from `settings.SITE_URL` alone (SPEC §6).

Nothing that leaves the service (e-mails, the Atom feed, CAP and FHIR exports, webhook bodies) is
built from a request's host: behind a proxy, or from a worker with no request at all, that host is
wrong or absent. Where an event's object is shown to a person is the content's knowledge: the alerts
app registers one page per object type (`link_register`) when Django starts, so that `exchange`
links an event to its page without importing `alerts`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings

PageOf = Callable[[str, Mapping[str, Any]], str | None]
_PAGES: dict[str, PageOf] = {}


def site_url() -> str:
    """The public base URL, without a trailing slash (e.g. `https://exchange.example`)."""
    return str(settings.SITE_URL).rstrip("/")


def absolute_url(path: str) -> str:
    """`path` (starting with `/`) under the public base URL."""
    return f"{site_url()}/{path.lstrip('/')}"


def link_register(object_type: str, page_of: PageOf) -> None:
    """`page_of(object_id, payload)` answers the path of the page showing an event's object (or None)."""
    _PAGES[object_type] = page_of


def event_link(object_type: str, object_id: str, payload: Mapping[str, Any]) -> str | None:
    """The absolute link to the page of an event's object, or None when no page shows it."""
    page_of = _PAGES.get(object_type)
    path = page_of(object_id, payload) if page_of is not None else None
    return absolute_url(path) if path else None
