"""Public pages (SPEC §6): public alerts, readable without signing in.

Only alerts whose distribution is `public` and that were released (`alerts_public()`), at their
latest revision. A page shows what the alert says and its state; never acknowledgements, recipients,
the publisher's internal reference or anything else the network keeps to itself. An alert that is
not public is a 404 here whether or not it exists.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext

from alerts.choices import AlertStatus, AlertType, Severity
from alerts.filters import search_q
from alerts.models import Alert
from alerts.references import reference_normalise
from alerts.selectors import alerts_public, alerts_with_details
from exchange.portal.pages import paginate

# What the public may search: the alert's own public text (never a network-only field).
PUBLIC_SEARCH_FIELDS = ("title", "summary", "description", "reference")
CHOICES = {"statuses": AlertStatus.choices, "severities": Severity.choices, "alert_types": AlertType.choices}


def _public(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=60)
    return response


def public_alert_list(request: HttpRequest) -> HttpResponse:
    """Public alerts, newest first, with search."""
    search = request.GET.get("search", "").strip()
    alerts = alerts_with_details(alerts_public())
    if search:
        alerts = alerts.filter(search_q(PUBLIC_SEARCH_FIELDS, search))
    alerts = alerts.order_by("-published_at", "-pk")
    context = {**paginate(request, alerts), **CHOICES, "search": search}
    return _public(render(request, "alerts/public/alert_list.html", context))


def _cap_url(reference: str) -> str | None:
    """The alert's CAP message, once the CAP route is installed."""
    try:
        return reverse("public-alert-cap", args=[reference])
    except NoReverseMatch:
        return None


def public_alert_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """One public alert at its latest revision: what it says, its state, the tools it concerns."""
    try:
        alert = alerts_with_details(alerts_public()).get(reference=reference_normalise(reference) or "")
    except Alert.DoesNotExist as exc:
        raise Http404(gettext("No public alert has this reference.")) from exc
    latest = alert.revisions.order_by("-number").first()
    context = {
        **CHOICES, "alert": alert, "latest": latest,
        "affected_tools": list(alert.affected_tool_rows.all()),
        "jurisdictions": [row.jurisdiction for row in alert.jurisdiction_rows.all()],
        "cap_url": _cap_url(alert.reference or reference),
    }
    return _public(render(request, "alerts/public/alert_detail.html", context))
