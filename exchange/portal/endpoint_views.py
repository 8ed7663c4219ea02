"""Portal pages of a member's webhook endpoints: list, create, edit, secret reveal and rotation,
test ping, the delivery log with its attempts, re-send and recover (SPEC §5).

Admins only, as in the API (the pages show the signing secret), and only the admin's own member's
endpoints and deliveries: another member's is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import F, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from exchange.api.webhooks import WebhookEndpointCreateSerializer, WebhookEndpointUpdateSerializer
from exchange.choices import DeliveryState, Scope
from exchange.models import Delivery, DeliveryAttempt, WebhookEndpoint
from exchange.portal.access import Portal, member_view, service_errors
from exchange.portal.forms import EndpointEditForm, EndpointForm, RecoverForm
from exchange.portal.pages import api_validate, changed_values, paginate, render_form_page, render_page
from exchange.selectors import member_sequence
from exchange.services import deliveries as delivery_services
from exchange.services import endpoints as endpoint_services


def _own_endpoint(portal: Portal, pk: Any) -> WebhookEndpoint:
    with service_errors():
        return endpoint_services.endpoint_get(member=portal.member, endpoint_id=pk)
    raise AssertionError("unreachable: service_errors() raises 404")


def _detail_url(endpoint: WebhookEndpoint) -> str:
    return reverse("network:endpoint-detail", args=[endpoint.pk])


@member_view(Scope.ADMIN)
def endpoint_list(request: HttpRequest, portal: Portal) -> HttpResponse:
    endpoints = WebhookEndpoint.objects.filter(member=portal.member).order_by("-created_at")
    return render_page(request, portal, "exchange/endpoints.html", {"endpoints": endpoints, "can_create": True},
                       section="endpoints")


@require_http_methods(["GET", "POST"])
@member_view(Scope.ADMIN)
def endpoint_new(request: HttpRequest, portal: Portal) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = api_validate(WebhookEndpointCreateSerializer, dict(form.cleaned_data), form)
        if data is not None:
            with service_errors(form):
                endpoint = endpoint_services.endpoint_create(actor=portal.user, member=portal.member, **data)
                return _secret_page(request, portal, endpoint, created=True)
    return render_form_page(request, portal, "exchange/endpoint_form.html", {"form": form}, section="endpoints")


def _secret_page(
    request: HttpRequest, portal: Portal, endpoint: WebhookEndpoint, *, created: bool = False, rotated: bool = False
) -> HttpResponse:
    context = {"endpoint": endpoint, "created": created, "rotated": rotated}
    return render_page(request, portal, "exchange/endpoint_secret.html", context, section="endpoints",
                       status=201 if created else 200)


def _deliveries(portal: Portal, endpoint: WebhookEndpoint) -> Any:
    return (
        Delivery.objects.filter(member=portal.member, endpoint=endpoint)
        .annotate(event_type=F("event__type"), event_sequence=member_sequence())
        .prefetch_related(Prefetch("attempts", queryset=DeliveryAttempt.objects.order_by("at", "id")))
        .order_by("-created_at", "-id")
    )


@require_http_methods(["GET", "POST"])
@member_view(Scope.ADMIN)
def endpoint_detail(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    endpoint = _own_endpoint(portal, pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "enabled": endpoint.enabled}
    form = EndpointEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = api_validate(WebhookEndpointUpdateSerializer, changed_values(form, initial), form, partial=True)
        if data is not None:
            with service_errors(form):
                endpoint_services.endpoint_update(actor=portal.user, endpoint=endpoint, **data)
                messages.success(request, gettext("Endpoint saved."))
                return redirect(_detail_url(endpoint))
    context = {
        "endpoint": endpoint, "form": form, "recover_form": RecoverForm(),
        **paginate(request, _deliveries(portal, endpoint)), "failed": DeliveryState.FAILED,
    }
    return render_form_page(request, portal, "exchange/endpoint_detail.html", context, section="endpoints")


@member_view(Scope.ADMIN)
def endpoint_secret(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    """Reveal the signing secret (on its own page, never cached)."""
    return _secret_page(request, portal, _own_endpoint(portal, pk))


@require_POST
@member_view(Scope.ADMIN)
def endpoint_rotate(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    endpoint = endpoint_services.endpoint_rotate_secret(actor=portal.user, endpoint=_own_endpoint(portal, pk))
    return _secret_page(request, portal, endpoint, rotated=True)


@require_POST
@member_view(Scope.ADMIN)
def endpoint_test(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    endpoint = _own_endpoint(portal, pk)
    with service_errors(request):
        endpoint_services.endpoint_test(actor=portal.user, endpoint=endpoint)
        messages.success(request, gettext("A test message (ping) is on its way; its delivery is at the top of the log."))
    return redirect(_detail_url(endpoint) + "#deliveries")


@require_POST
@member_view(Scope.ADMIN)
def endpoint_delete(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    endpoint = _own_endpoint(portal, pk)
    endpoint_services.endpoint_delete(actor=portal.user, endpoint=endpoint)
    messages.success(request, gettext("Endpoint %(url)s deleted.") % {"url": endpoint.url})
    return redirect("network:endpoint-list")


@require_POST
@member_view(Scope.ADMIN)
def endpoint_recover(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    endpoint = _own_endpoint(portal, pk)
    form = RecoverForm(request.POST)
    if form.is_valid():
        with service_errors(request):
            count = delivery_services.deliveries_recover(
                actor=portal.user, endpoint=endpoint, since=form.cleaned_data["since"]
            )
            messages.success(request, ngettext("%(count)d failed delivery re-sent.", "%(count)d failed deliveries re-sent.", count) % {"count": count})
    else:
        messages.error(request, gettext("Give the time from which to re-send failed deliveries."))
    return redirect(_detail_url(endpoint) + "#deliveries")


@require_POST
@member_view(Scope.ADMIN)
def delivery_redeliver(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    with service_errors():
        delivery = delivery_services.delivery_get(member=portal.member, delivery_id=pk)
    with service_errors(request):
        delivery_services.delivery_redeliver(actor=portal.user, delivery=delivery)
        messages.success(request, gettext("The delivery is being re-sent (same webhook-id)."))
    if delivery.endpoint_id is None:
        return redirect("network:endpoint-list")
    return redirect(reverse("network:endpoint-detail", args=[delivery.endpoint_id]) + "#deliveries")
