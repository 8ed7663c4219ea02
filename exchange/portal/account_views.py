"""Django's password views with what the Exchange adds: an audit entry for every password change or
reset, and a reset e-mail also for users created without a password (Django's form skips them,
yet the portal tells such users to set their password by "forgot password")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpResponse
from django.views.generic import FormView

from exchange.links import site_url
from exchange.models import User
from exchange.services.chain import audited_transaction
from exchange.services.members import user_password_record


class InviteAwarePasswordResetForm(PasswordResetForm):
    def get_users(self, email: str) -> Iterator[Any]:
        # Active users of this address, with a password or not yet one (created without).
        return iter(User.objects.filter(email__iexact=email.strip(), is_active=True))


class PasswordResetView(auth_views.PasswordResetView):
    form_class = InviteAwarePasswordResetForm

    def form_valid(self, form: Any) -> HttpResponse:
        self.extra_email_context = {"site_url": site_url()}  # the link's base is SITE_URL, never the request's host
        return super().form_valid(form)


class AuditedPasswordMixin(FormView[Any]):
    """The new password and its audit entry commit together; `how` names the way it was set."""

    how: str

    def form_valid(self, form: Any) -> HttpResponse:
        with audited_transaction():
            response = super().form_valid(form)
            user_password_record(actor=form.user, user=form.user, how=self.how)
        return response


class PasswordChangeView(AuditedPasswordMixin, auth_views.PasswordChangeView):
    how = "changed"


class PasswordResetConfirmView(AuditedPasswordMixin, auth_views.PasswordResetConfirmView):
    how = "reset"
