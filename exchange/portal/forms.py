"""Forms of the network's portal pages: sign-in, users, tokens, subscriptions, webhook endpoints.

Forms only parse what a browser sends into the shapes the services take; every rule (roles,
scopes, uniqueness, URL safety, …) is the service's, and its errors are shown on the form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exchange.choices import EventType, Role, Scope
from exchange.portal.access import split_codes
from exchange.services.subscription_rules import NAME_MAX_LENGTH, SUBSCRIBABLE_EVENT_TYPES
from exchange.vocabularies import ALERT_TYPES, SEVERITIES


def _severity_choices() -> list[tuple[str, str]]:
    """"Any severity", then each severity "or above", the most severe "only" (SEVERITIES is ordered)."""
    *lower, highest = SEVERITIES
    return [("", gettext("Any severity")),
            *((s, gettext("%(severity)s or above") % {"severity": gettext(s.capitalize())}) for s in lower),
            (highest, gettext("%(severity)s only") % {"severity": gettext(highest.capitalize())})]


class SignInForm(AuthenticationForm):
    """E-mail address and password (SPEC §6). The field keeps Django's name `username` (django-axes reads it)."""

    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True, "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The e-mail address or password is not right. Both are case-sensitive for the password."),
    }

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()


class UserCreateForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    role = forms.ChoiceField(choices=Role.choices, widget=forms.RadioSelect, initial=Role.VIEWER)
    password = forms.CharField(
        label=_("Initial password (optional)"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Without one, the person sets a password through 'Forgot your password?' on the sign-in page."),
    )


class UserUpdateForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    role = forms.ChoiceField(choices=Role.choices, widget=forms.RadioSelect)
    is_active = forms.BooleanField(label=_("Active (may sign in and use tokens)"), required=False)


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False,
                           help_text=_("What the token is for, e.g. 'Case-management system'."))
    user = forms.ChoiceField(label=_("Token of user"), help_text=_("The token never allows more than this user's role."))
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for every scope the user's role allows."),
    )
    expires_days = forms.IntegerField(label=_("Expires after (days)"), required=False, min_value=1, max_value=3650,
                                      help_text=_("Leave blank for a token that does not expire."))

    def __init__(self, *args: Any, users: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = users  # type: ignore[attr-defined]


class SubscriptionForm(forms.Form):
    """The browser's subscription form. Choices render the checkboxes and the select; what a value may
    be is exchange.services.subscription_rules, whose errors service_errors shows on the fields."""

    name = forms.CharField(max_length=NAME_MAX_LENGTH)
    active = forms.BooleanField(label=_("Active (a paused subscription matches nothing)"), required=False, initial=True)
    event_types = forms.MultipleChoiceField(
        label=_("Events"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(t, EventType(t).label) for t in SUBSCRIBABLE_EVENT_TYPES],
        help_text=_("None ticked: every kind of event."),
    )
    alert_types = forms.MultipleChoiceField(
        label=_("Alert types"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(t, t.replace("_", " ").capitalize()) for t in ALERT_TYPES],
        help_text=_("None ticked: every alert type."),
    )
    min_severity = forms.ChoiceField(label=_("Minimum severity"), required=False, choices=_severity_choices)
    tools = forms.CharField(label=_("Tools"), required=False,
                            widget=forms.TextInput(attrs={"data-picker": "tools", "autocomplete": "off"}),
                            help_text=_("Search by name or manufacturer and choose. None chosen: every tool."))
    manufacturers = forms.CharField(label=_("Manufacturers"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                    help_text=_("One per line. Blank: every manufacturer."))
    clinical_areas = forms.CharField(label=_("Clinical areas"), required=False,
                                     help_text=_("Separated by commas, e.g. radiology, pathology. Blank: every area."))
    jurisdictions = forms.CharField(
        label=_("Affected jurisdictions"), required=False,
        widget=forms.TextInput(attrs={"data-picker": "jurisdictions", "autocomplete": "off"}),
        help_text=_("Search by country name or code, e.g. Germany or DE. None chosen: any jurisdiction."))
    publishers = forms.CharField(
        label=_("Publishing members"), required=False,
        widget=forms.TextInput(attrs={"data-picker": "members", "autocomplete": "off"}),
        help_text=_("Search by regulator name or code, e.g. Health Canada. None chosen: every member."))
    authorised_in_my_jurisdiction = forms.BooleanField(
        label=_("Only about tools authorised in my member's jurisdiction"), required=False
    )
    webhook_endpoints = forms.MultipleChoiceField(label=_("Webhook endpoints"), required=False,
                                                  widget=forms.CheckboxSelectMultiple)
    email_recipients = forms.CharField(label=_("E-mail recipients"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 2}),
                                       help_text=_("One address per line."))

    def __init__(self, *args: Any, endpoints: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["webhook_endpoints"].choices = endpoints  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        """The cleaned form in the shape of the API's subscription body (SPEC Appendix A)."""
        data = self.cleaned_data
        lines = [line.strip() for line in str(data["manufacturers"]).splitlines()]
        return {
            "name": data["name"],
            "active": data["active"],
            "event_types": list(data["event_types"]),
            "alert_types": list(data["alert_types"]),
            "min_severity": data["min_severity"] or None,
            "tools": split_codes(data["tools"], upper=False),
            "manufacturers": [line for line in lines if line],
            "clinical_areas": split_codes(data["clinical_areas"], upper=False),
            "jurisdictions": split_codes(data["jurisdictions"]),
            "publishers": split_codes(data["publishers"]),
            "authorised_in_my_jurisdiction": data["authorised_in_my_jurisdiction"],
            "webhook_endpoints": list(data["webhook_endpoints"]),
            "email_recipients": [a.strip() for a in str(data["email_recipients"]).split() if a.strip()],
        }


class EndpointForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=2000, widget=forms.URLInput,
                          help_text=_("An https address on the public internet that accepts signed POST requests."))
    description = forms.CharField(max_length=500, required=False)


class EndpointEditForm(EndpointForm):
    enabled = forms.BooleanField(label=_("Enabled"), required=False)


class RecoverForm(forms.Form):
    since = forms.DateTimeField(
        label=_("Re-send every failed delivery since"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
