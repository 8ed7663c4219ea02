"""The user's own preferences page: the API's rules, with the error summary on a refusal."""

from __future__ import annotations

from django.test import Client

from exchange.models import NotificationPreferences
from exchange.services.preferences import preferences_of
from tests.factories import Network

URL = "/accounts/notifications/"


def _form(**overrides: str) -> dict[str, str]:
    data = {"timezone": "Europe/Paris", "digest_hour": "7", "language": "fr",
            "item_alert_critical": "immediate", "item_alert_high": "daily_digest", "item_alert_medium": "off",
            "item_alert_low": "off", "item_report": "daily_digest", "item_signal": "daily_digest",
            "item_reliance_review": "immediate", "item_request": "immediate", "item_problem": "immediate"}
    data.update(overrides)
    return data


def test_the_page_shows_the_defaults_and_saves_a_change(network: Network) -> None:
    client = Client()
    client.force_login(network.hc.viewer)

    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Critical safety alerts" in html
    assert 'value="UTC"' in html

    saved = client.post(URL, _form())
    assert saved.status_code == 302
    preferences = preferences_of(user=network.hc.viewer)
    assert (preferences.timezone, preferences.digest_hour, preferences.language) == ("Europe/Paris", 7, "fr")
    assert preferences.mode("alert.high") == "daily_digest"
    assert preferences.mode("alert.medium") == "off"
    assert "Your notification preferences are saved." in client.get(URL).content.decode()


def test_a_bad_time_zone_is_named_in_the_error_summary_and_nothing_is_saved(network: Network) -> None:
    client = Client()
    client.force_login(network.hc.viewer)

    response = client.post(URL, _form(timezone="Atlantis/Capital", item_report="weekly"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'href="#id_item_report_0"' in html  # the form refuses an unknown mode itself
    assert not NotificationPreferences.objects.filter(user=network.hc.viewer).exists()

    response = client.post(URL, _form(timezone="Atlantis/Capital"))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_timezone">must be an IANA time zone name, e.g. Europe/London</a>' in html  # on the field
    assert not NotificationPreferences.objects.filter(user=network.hc.viewer).exists()


def test_signed_out_it_asks_for_sign_in(network: Network) -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
