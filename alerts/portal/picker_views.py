"""Server-side search for the portal's pickers: choose tools, members and jurisdictions by name.

`GET /pick/<kind>/?q=words` answers up to 20 `{"value", "label"}` pairs; `?values=a,b` answers the
labels of values already chosen (so a saved form shows names, not ids). portal.js turns a text box
marked `data-picker="<kind>"` into a search box with removable chips; without the script the box
still takes the values typed, comma-separated.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pycountry
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext

from alerts import selectors
from alerts.filters import search_q
from alerts.jurisdictions import known_jurisdictions
from exchange.choices import MemberStatus
from exchange.models import Member
from exchange.portal.access import Portal, member_view

LIMIT = 20
Choice = dict[str, str]


def _tools(query: str, values: list[str]) -> list[Choice]:
    rows = selectors.tools_list().prefetch_related(None)
    if values:
        rows = rows.filter(pk__in=[v for v in values if _is_uuid(v)])
    elif query:
        rows = rows.filter(search_q(("name", "manufacturer"), query))
    return [{"value": str(pk), "label": f"{name} — {maker}"}
            for pk, name, maker in rows.order_by("name").values_list("pk", "name", "manufacturer")[:LIMIT]]


def _members(query: str, values: list[str]) -> list[Choice]:
    rows = Member.objects.filter(status=MemberStatus.ACTIVE)
    if values:
        rows = rows.filter(code__in=[v.upper() for v in values])
    elif query:
        rows = rows.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return [{"value": code, "label": f"{code} — {name}"}
            for code, name in rows.order_by("code").values_list("code", "name")[:LIMIT]]


def _country_name(code: str) -> str:
    if code == "EU":
        return gettext("European Union")
    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "common_name", None) or getattr(country, "name", code))


def _jurisdictions(query: str, values: list[str]) -> list[Choice]:
    codes = sorted(known_jurisdictions())
    if values:
        chosen = [v.upper() for v in values if v.upper() in known_jurisdictions()]
    else:
        text = query.lower()
        chosen = [c for c in codes if not text or c.lower() == text or text in _country_name(c).lower()]
        chosen.sort(key=lambda c: (c.lower() != text, _country_name(c)))
    return [{"value": code, "label": f"{_country_name(code)} ({code})"} for code in chosen[:LIMIT]]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


KINDS: dict[str, Callable[[str, list[str]], list[Choice]]] = {
    "tools": _tools, "members": _members, "jurisdictions": _jurisdictions,
}


@member_view()
def pick(request: HttpRequest, portal: Portal, kind: str) -> HttpResponse:
    search = KINDS.get(kind)
    if search is None:
        raise Http404(gettext("No such picker."))
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    values = [v.strip() for v in request.GET.get("values", "").split(",") if v.strip()][:LIMIT]
    results: Any = search(query, values)
    return JsonResponse({"results": results})
