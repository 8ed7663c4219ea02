"""`/api/v1/me/notification-preferences/` (SPEC §10.4, Appendix B): defaults, every value, strict input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from exchange.models import AuditEntry, NotificationPreferences
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem

URL = "/api/v1/me/notification-preferences/"
DEFAULTS = {
    "timezone": "UTC", "digest_hour": 8, "language": "en",
    "items": {"alert.critical": "immediate", "alert.high": "immediate", "alert.medium": "daily_digest",
              "alert.low": "daily_digest", "report": "daily_digest", "signal": "daily_digest",
              "reliance_review": "immediate", "request": "immediate", "problem": "daily_digest"},
}


@pytest.fixture
def caller(network: Network, api: Callable[..., ApiCaller]) -> ApiCaller:
    return api(network.fda.viewer, scopes=["read"])


def test_a_new_user_has_the_defaults(caller: ApiCaller) -> None:
    response = caller.get(URL)

    assert response.status_code == 200, response.content
    assert response.json() == DEFAULTS


def test_put_sets_every_field_and_is_idempotent(caller: ApiCaller, network: Network) -> None:
    body: dict[str, Any] = {
        "timezone": "Europe/London", "digest_hour": 7, "language": "fr",
        "items": {**DEFAULTS["items"], "alert.critical": "daily_digest", "report": "off", "problem": "immediate"},
    }
    first = caller.put(URL, body)
    entries = AuditEntry.objects.filter(action="user.notification_preferences_updated").count()
    second = caller.put(URL, body)

    assert first.status_code == second.status_code == 200, first.content
    assert first.json() == second.json() == body
    assert caller.get(URL).json() == body
    assert entries == 1
    assert AuditEntry.objects.filter(action="user.notification_preferences_updated").count() == 1  # nothing changed
    assert NotificationPreferences.objects.filter(user=network.fda.viewer).count() == 1


def test_put_may_name_some_fields_only(caller: ApiCaller) -> None:
    caller.put(URL, {"items": {"signal": "immediate"}})
    response = caller.put(URL, {"digest_hour": 0})

    assert response.json() == {**DEFAULTS, "digest_hour": 0, "items": {**DEFAULTS["items"], "signal": "immediate"}}


@pytest.mark.parametrize("mode", ["immediate", "daily_digest", "off"])
def test_every_item_takes_every_mode(caller: ApiCaller, mode: str) -> None:
    items = dict.fromkeys(DEFAULTS["items"], mode)

    response = caller.put(URL, {"items": items})

    assert response.status_code == 200, response.content
    assert response.json()["items"] == items


@pytest.mark.parametrize(("body", "field"), [
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": 3}, "timezone"),
    ({"digest_hour": 24}, "digest_hour"),
    ({"digest_hour": -1}, "digest_hour"),
    ({"digest_hour": "8"}, "digest_hour"),
    ({"digest_hour": True}, "digest_hour"),
    ({"language": "de"}, "language"),
    ({"items": {"alert.urgent": "immediate"}}, "items.alert.urgent"),
    ({"items": {"report": "weekly"}}, "items.report"),
    ({"items": ["report"]}, "items"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    caller: ApiCaller, network: Network, body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(caller.put(URL, {**body}), 400)

    assert field in str(problem.get("errors")), problem
    assert not NotificationPreferences.objects.filter(user=network.fda.viewer).exists()
    assert caller.get(URL).json() == DEFAULTS


def test_each_user_sees_and_changes_only_its_own(network: Network, api: Callable[..., ApiCaller]) -> None:
    api(network.fda.admin).put(URL, {"digest_hour": 17})

    assert api(network.fda.viewer).get(URL).json()["digest_hour"] == 8
    assert api(network.fda.admin).get(URL).json()["digest_hour"] == 17


def test_without_credentials_it_is_a_401(anon: ApiCaller) -> None:
    assert_problem(anon.get(URL), 401)
    assert_problem(anon.put(URL, {"digest_hour": 3}), 401)
