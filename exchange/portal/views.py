"""Portal pages of the network: the account, and for a member's admins its users, API tokens and
subscriptions (webhook endpoints are in `endpoint_views`).

Like the API (`UserViewSet`, `TokenViewSet`, subscriptions), these pages need the `admin` scope and
only ever reach the admin's own member's rows: another member's user, token or subscription is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from exchange.api.serializers import TokenCreateSerializer, UserCreateSerializer, UserUpdateSerializer
from exchange.choices import Role, Scope, sorted_scopes
from exchange.models import ApiToken, Subscription, User, WebhookEndpoint
from exchange.portal.access import Portal, join_codes, member_view, service_errors
from exchange.portal.forms import SubscriptionForm, TokenCreateForm, UserCreateForm, UserUpdateForm
from exchange.portal.pages import (
    api_validate,
    changed_values,
    page_or_404,
    paginate,
    render_form_page,
    render_page,
)
from exchange.selectors import tokens_of, users_of
from exchange.services import subscriptions as subscription_services
from exchange.services.members import user_create, user_update
from exchange.services.tokens import token_effective_scopes, token_issue, token_revoke


@member_view("")
def account(request: HttpRequest, portal: Portal) -> HttpResponse:
    context = {"scopes": sorted_scopes(portal.scopes)}
    return render_page(request, portal, "exchange/account.html", context)


# --- users ------------------------------------------------------------------------------------------


def _member_user(portal: Portal, pk: Any) -> User:
    return page_or_404(users_of(member=portal.member), detail="No such user in your member.", pk=pk)


@member_view(Scope.ADMIN)
def user_list(request: HttpRequest, portal: Portal) -> HttpResponse:
    users = User.objects.filter(member=portal.member).order_by("email")
    tokens = ApiToken.objects.filter(user__member=portal.member).select_related("user").order_by("-created_at")
    context = {"users": users, **paginate(request, tokens, per_page=50), "roles": Role.choices}
    return render_page(request, portal, "exchange/users.html", context, section="admin")


@require_http_methods(["GET", "POST"])
@member_view(Scope.ADMIN)
def user_new(request: HttpRequest, portal: Portal) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        body = {key: value for key, value in form.cleaned_data.items() if value != "" or key != "password"}
        data = api_validate(UserCreateSerializer, body, form)
        if data is not None:
            with service_errors(form):
                user = user_create(actor=portal.user, member=portal.member, **data)
                sign_in = (gettext("%(email)s can now sign in as %(role)s.") if data.get("password")
                           else gettext("%(email)s can now sign in as %(role)s once they set a password."))
                messages.success(request, sign_in % {"email": user.email, "role": user.get_role_display()})
                return redirect("network:user-list")
    return render_form_page(request, portal, "exchange/user_form.html", {"form": form, "mode": "create"},
                       section="admin")


@require_http_methods(["GET", "POST"])
@member_view(Scope.ADMIN)
def user_edit(request: HttpRequest, portal: Portal, pk: int) -> HttpResponse:
    target = _member_user(portal, pk)
    initial = {"full_name": target.full_name, "role": target.role, "is_active": target.is_active}
    form = UserUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = api_validate(UserUpdateSerializer, changed_values(form, initial), form, partial=True)
        if data is not None:
            with service_errors(form):
                user_update(actor=portal.user, user=target, **data)
                messages.success(request, gettext("%(email)s updated.") % {"email": target.email})
                return redirect("network:user-list")
    return render_form_page(request, portal, "exchange/user_form.html", {"form": form, "mode": "edit", "target": target},
                       section="admin")


# --- API tokens -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_view(Scope.ADMIN)
def token_new(request: HttpRequest, portal: Portal) -> HttpResponse:
    users = User.objects.filter(member=portal.member, is_active=True).order_by("email")
    choices = [(u.email, f"{u.email} ({u.get_role_display()})") for u in users]
    form = TokenCreateForm(request.POST or None, users=choices, initial={"user": portal.user.email})
    if request.method == "POST" and form.is_valid():
        body: dict[str, Any] = {"name": form.cleaned_data["name"], "user": form.cleaned_data["user"]}
        if form.cleaned_data["scopes"]:
            body["scopes"] = list(form.cleaned_data["scopes"])
        if form.cleaned_data["expires_days"] is not None:
            body["expires_days"] = form.cleaned_data["expires_days"]
        data = api_validate(TokenCreateSerializer, body, form)
        if data is not None:
            owner = users.filter(email=str(data["user"]).lower()).first()
            if owner is None:
                form.add_error("user", gettext("No user of your member has this e-mail address."))
            else:
                with service_errors(form):
                    issued = token_issue(actor=portal.user, user=owner, name=data.get("name", ""),
                                         scopes=data.get("scopes"), expires_days=data.get("expires_days"))
                    # Shown once, in this response only: never stored, never redirected through.
                    context = {"token": issued.token, "value": issued.value,
                               "scopes": sorted_scopes(token_effective_scopes(issued.token))}
                    return render_page(request, portal, "exchange/token_created.html", context, section="admin",
                                       status=201)
    return render_form_page(request, portal, "exchange/token_form.html", {"form": form}, section="admin")


@require_POST
@member_view(Scope.ADMIN)
def token_revoke_view(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    token = page_or_404(tokens_of(member=portal.member), detail="No such token in your member.", pk=pk)
    token_revoke(actor=portal.user, token=token)
    messages.success(request, gettext("Token %(prefix)s… (%(name)s) revoked.") % {"prefix": token.key_prefix, "name": token.name})
    return redirect("network:user-list")


# --- subscriptions ----------------------------------------------------------------------------------


def _endpoint_choices(portal: Portal) -> list[tuple[str, str]]:
    endpoints = WebhookEndpoint.objects.filter(member=portal.member).order_by("url")
    return [(str(e.pk), e.url if e.enabled else gettext("%(url)s (disabled)") % {"url": e.url}) for e in endpoints]


@member_view(Scope.ADMIN)
def subscription_list(request: HttpRequest, portal: Portal) -> HttpResponse:
    subscriptions = Subscription.objects.filter(member=portal.member).prefetch_related("webhook_endpoints")
    return render_page(request, portal, "exchange/subscriptions.html", {"subscriptions": subscriptions},
                       section="subscriptions")


def _subscription_initial(subscription: Subscription) -> dict[str, Any]:
    return {
        "name": subscription.name,
        "active": subscription.active,
        "event_types": subscription.event_types,
        "alert_types": subscription.alert_types,
        "min_severity": subscription.min_severity or "",
        "tools": join_codes(subscription.tools),
        "manufacturers": "\n".join(subscription.manufacturers),
        "clinical_areas": join_codes(subscription.clinical_areas),
        "jurisdictions": join_codes(subscription.jurisdictions),
        "publishers": join_codes(subscription.publishers),
        "authorised_in_my_jurisdiction": subscription.authorised_in_my_jurisdiction,
        "webhook_endpoints": [str(pk) for pk in subscription.webhook_endpoints.values_list("pk", flat=True)],
        "email_recipients": "\n".join(subscription.email_recipients),
    }


@require_http_methods(["GET", "POST"])
@member_view(Scope.ADMIN)
def subscription_edit(request: HttpRequest, portal: Portal, pk: Any = None) -> HttpResponse:
    subscription: Subscription | None = None
    initial: dict[str, Any] = {"active": True}
    if pk is not None:
        with service_errors():
            subscription = subscription_services.subscription_get(member=portal.member, subscription_id=pk)
            initial = _subscription_initial(subscription)
    form = SubscriptionForm(request.POST or None, initial=initial, endpoints=_endpoint_choices(portal))
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        with service_errors(form):
            if subscription is None:
                subscription_services.subscription_create(actor=portal.user, member=portal.member, **data)
            else:
                subscription_services.subscription_update(actor=portal.user, subscription=subscription, **data)
            messages.success(request, gettext("Subscription '%(name)s' saved.") % {"name": data["name"]})
            return redirect("network:subscription-list")
    context = {"form": form, "subscription": subscription}
    return render_form_page(request, portal, "exchange/subscription_form.html", context, section="subscriptions")


@require_POST
@member_view(Scope.ADMIN)
def subscription_delete(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    with service_errors():
        subscription = subscription_services.subscription_get(member=portal.member, subscription_id=pk)
    subscription_services.subscription_delete(actor=portal.user, subscription=subscription)
    messages.success(request, gettext("Subscription '%(name)s' deleted.") % {"name": subscription.name})
    return redirect("network:subscription-list")
