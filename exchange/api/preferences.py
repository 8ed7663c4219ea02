"""`/api/v1/me/notification-preferences/`: the caller's own notification preferences (SPEC §10.4)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exchange.choices import Language, NoticeMode
from exchange.services.preferences import ITEM_ORDER, preferences_clean, preferences_of, preferences_update

EXAMPLE = {
    "timezone": "Europe/London", "digest_hour": 8, "language": "fr",
    "items": {"alert.critical": "immediate", "alert.high": "immediate", "alert.medium": "daily_digest",
              "alert.low": "daily_digest", "report": "daily_digest", "signal": "daily_digest",
              "reliance_review": "immediate", "request": "immediate", "problem": "immediate"},
}


class PreferenceItemsSerializer(serializers.Serializer[Any]):
    """One mode per kind of item (schema only: the service checks the input)."""


for _item in ITEM_ORDER:
    PreferenceItemsSerializer._declared_fields[_item] = serializers.ChoiceField(
        choices=NoticeMode.choices, required=False
    )


class NotificationPreferencesSerializer(serializers.Serializer[Any]):
    timezone = serializers.CharField(help_text="IANA time zone name; deadlines in e-mails are shown in it.")
    digest_hour = serializers.IntegerField(min_value=0, max_value=23, help_text="Local hour of the daily digest.")
    language = serializers.ChoiceField(choices=Language.choices)
    items = PreferenceItemsSerializer(help_text="immediate, daily_digest or off for each kind of item.")


class NotificationPreferencesView(APIView):
    required_scopes = {"GET": "", "PUT": ""}  # a person's own settings: any authenticated caller

    @extend_schema(responses=NotificationPreferencesSerializer, operation_id="me_notification_preferences_retrieve",
                   summary="Read your notification preferences",
                   description="What reaches you by e-mail: for each kind of item `immediate`, `daily_digest` or "
                               "`off`, your time zone, the local hour of your daily digest and your language. "
                               "Defaults until you change them: critical and high alerts, reliance reviews and "
                               "requests at once, the rest in the daily digest. Changes nothing.",
                   examples=[OpenApiExample("Preferences", value=EXAMPLE, response_only=True)])
    def get(self, request: Request) -> Response:
        return Response(preferences_of(user=request.user).as_json())  # type: ignore[arg-type]

    @extend_schema(request=NotificationPreferencesSerializer, responses=NotificationPreferencesSerializer,
                   operation_id="me_notification_preferences_update",
                   summary="Change your notification preferences",
                   description="Sets what reaches you by e-mail. Fields left out keep their value and `items` may "
                               "name some items only; an unknown field, item or value is a `400` naming it. "
                               "Idempotent: repeating it changes nothing. Records an audit entry when something "
                               "changed. Any authenticated user, for itself only.",
                   examples=[OpenApiExample("Preferences", value=EXAMPLE, request_only=True)])
    def put(self, request: Request) -> Response:
        changes = preferences_clean(request.data)
        preferences = preferences_update(actor=request.user, user=request.user, changes=changes)  # type: ignore[arg-type]
        return Response(preferences.as_json())
