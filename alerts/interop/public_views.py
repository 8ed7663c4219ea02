"""`/public/alerts/{reference}/cap.xml`: a public alert's CAP message, without signing in (SPEC §6).

Only public, released alerts exist here; any other reference is a plain 404 that says nothing about
whether an alert by that reference exists."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from alerts.interop.cap import CAP_CONTENT_TYPE
from alerts.interop.exports import alert_cap_export
from alerts.references import reference_normalise
from alerts.selectors import alerts_public
from exchange.links import site_url


@require_safe
def public_alert_cap(request: HttpRequest, reference: str) -> HttpResponse:
    normalised = reference_normalise(reference)  # not shaped like a reference (a NUL, say): not found
    alert = alerts_public().filter(reference=normalised).first() if normalised else None
    if alert is None:
        raise Http404("No public alert with this reference.")
    body = alert_cap_export(alert=alert, site=site_url())
    response = HttpResponse(body, content_type=CAP_CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{alert.reference}.cap.xml"'
    return response
