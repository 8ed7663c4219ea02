"""The user's own notification preferences page (SPEC §10.4): the same rules as the API
(`exchange.services.preferences`), shown as a form with the error summary."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from exchange.choices import Language, NoticeMode, PreferenceItem
from exchange.portal.access import Portal, member_view, service_errors
from exchange.portal.pages import render_form_page
from exchange.services.preferences import ITEM_ORDER, preferences_clean, preferences_of, preferences_update


def _field(item: str) -> str:
    return "item_" + item.replace(".", "_")


class PreferencesForm(forms.Form):
    timezone = forms.CharField(
        label=_("Time zone"), max_length=64,
        help_text=_("An IANA time zone name, e.g. Europe/London or America/Toronto. Deadlines in your e-mails "
                    "are shown in it."),
    )
    digest_hour = forms.TypedChoiceField(
        label=_("Hour of the daily digest"), coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        help_text=_("Local time, in your time zone."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in ITEM_ORDER:
            self.fields[_field(item)] = forms.ChoiceField(
                label=str(PreferenceItem(item).label), choices=NoticeMode.choices, widget=forms.RadioSelect,
            )


@require_http_methods(["GET", "POST"])
@member_view("")
def notification_preferences(request: HttpRequest, portal: Portal) -> HttpResponse:
    current = preferences_of(user=portal.user).as_json()
    initial = {"timezone": current["timezone"], "digest_hour": current["digest_hour"],
               "language": current["language"],
               **{_field(item): mode for item, mode in current["items"].items()}}
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        body = {"timezone": data["timezone"].strip(), "digest_hour": data["digest_hour"], "language": data["language"],
                "items": {item: data[_field(item)] for item in ITEM_ORDER}}
        field_map = {f"items.{item}": _field(item) for item in ITEM_ORDER}
        with service_errors(form, field_map=field_map):
            preferences_update(actor=portal.user, user=portal.user, changes=preferences_clean(body))
            messages.success(request, gettext("Your notification preferences are saved."))
            return redirect("notification-preferences")
    return render_form_page(request, portal, "exchange/notification_preferences.html", {"form": form})
