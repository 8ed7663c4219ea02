"""Portal forms that add and remove links between alerts (SPEC §10.6); the panels are template includes
(alerts/_links_panel.html, alerts/_related_panel.html) fed by alerts/templatetags/search_marks.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from alerts.portal.views import visible_alert
from alerts.services.links import alert_link_create, alert_link_delete
from exchange.choices import Scope
from exchange.portal.access import Portal, member_view, service_errors


def _back(alert_pk: Any) -> HttpResponse:
    return HttpResponseRedirect(reverse("portal:alert-detail", args=[alert_pk]) + "#links")


@require_POST
@member_view(Scope.PUBLISH)
def alert_link_add(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    alert = visible_alert(portal, pk)
    with service_errors(request):
        link = alert_link_create(actor=portal.user, alert=alert, target=request.POST.get("alert", ""),
                                 kind=request.POST.get("kind", ""), note=request.POST.get("note", ""))
        messages.success(request, gettext("Linked to %(target)s.") % {"target": link.target.reference or link.target.title})
    return _back(alert.pk)


@require_POST
@member_view(Scope.PUBLISH)
def alert_link_remove(request: HttpRequest, portal: Portal, pk: Any, link_id: Any) -> HttpResponse:
    alert = visible_alert(portal, pk)
    with service_errors(request):
        alert_link_delete(actor=portal.user, alert=alert, link_id=link_id)
        messages.success(request, gettext("Link removed."))
    return _back(alert.pk)
