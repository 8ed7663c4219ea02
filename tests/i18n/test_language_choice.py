"""Which language a page is in (SPEC §10.5): a signed-in user's own `language` wins; signed out, the
switcher's cookie, then Accept-Language; the switcher is on every page and, signed in, saves the choice."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from exchange.models import AuditEntry
from exchange.services.preferences import preferences_clean, preferences_of, preferences_update
from tests.factories import Network

pytestmark = pytest.mark.django_db

LANG = re.compile(r'<html lang="([^"]+)">')


def html_lang(response) -> str:  # type: ignore[no-untyped-def]
    match = LANG.search(response.content.decode())
    assert match, "the page has no <html lang>"
    return match.group(1)


def test_signed_out_accept_language_decides() -> None:
    client = Client()
    assert html_lang(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ja,en;q=0.5")) == "ja"
    assert html_lang(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr-CA")) == "fr"
    assert html_lang(client.get("/accounts/login/")).startswith("en")


def test_signed_out_the_switchers_cookie_wins_over_accept_language() -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/public/alerts/"})
    assert response.status_code == 302
    assert response["Location"] == "/public/alerts/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert html_lang(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ja")) == "es"


def test_every_page_has_an_accessible_switcher_listing_the_languages_by_their_own_names(network: Network) -> None:
    client = Client()
    client.force_login(network.hc.viewer)
    for path in ("/", "/accounts/login/", "/public/alerts/", "/no-such-page/"):
        page = (client if path != "/accounts/login/" else Client()).get(path).content.decode()
        form = re.search(r'<form method="post" action="/i18n/setlang/" class="language-form">(.*?)</form>', page, re.S)
        assert form, path
        assert '<label for="language-switch">' in form.group(1)
        assert '<select id="language-switch" name="language">' in form.group(1)
        assert 'name="csrfmiddlewaretoken"' in form.group(1)
        assert '<button type="submit">' in form.group(1)
        for code, name in settings.LANGUAGES:
            assert f'<option value="{code}" lang="{code}"' in form.group(1)
            assert f">{name}</option>" in form.group(1)


def test_a_signed_in_users_own_language_wins_over_cookie_and_accept_language(network: Network) -> None:
    user = network.hc.viewer
    preferences_update(actor=user, user=user, changes=preferences_clean({"language": "fr"}))
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    client.force_login(user)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ja")
    assert html_lang(response) == "fr"
    assert response["Content-Language"] == "fr"
    assert 'lang="fr" selected>Français</option>' in response.content.decode()


def test_the_api_keeps_accept_language_for_a_signed_in_session(network: Network) -> None:
    user = network.hc.viewer
    preferences_update(actor=user, user=user, changes=preferences_clean({"language": "fr"}))
    client = Client()
    client.force_login(user)
    assert client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="ja")["Content-Language"] == "ja"


def test_the_switcher_signed_in_saves_the_users_preference_through_the_service(network: Network) -> None:
    user = network.hc.viewer
    client = Client()
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "ja", "next": "/alerts/"})
    assert response.status_code == 302
    assert response["Location"] == "/alerts/"
    assert preferences_of(user=user).language == "ja"
    assert AuditEntry.objects.filter(action="user.notification_preferences_updated", object_id=str(user.pk)).exists()
    assert html_lang(Client().get("/accounts/login/")).startswith("en")  # someone else's browser: unchanged
    fresh = Client()
    fresh.force_login(user)  # another browser of the same user: their language
    assert html_lang(fresh.get("/")) == "ja"


def test_an_unknown_language_changes_nothing(network: Network) -> None:
    user = network.hc.viewer
    client = Client()
    client.force_login(user)
    assert client.post("/i18n/setlang/", {"language": "xx", "next": "/"}).status_code == 302
    assert preferences_of(user=user).language == "en"
    assert client.get("/i18n/setlang/").status_code == 405


def test_pages_render_in_the_chosen_language(network: Network) -> None:
    user = network.hc.viewer
    preferences_update(actor=user, user=user, changes=preferences_clean({"language": "fr"}))
    client = Client()
    client.force_login(user)
    page = client.get("/").content.decode()
    assert "Boîte de réception" in page
    assert "Changer de langue" in page
    signed_out = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "サインイン" in signed_out
    assert "パスワードをお忘れですか？" in signed_out
    english = Client().get("/accounts/login/").content.decode()
    assert "Forgot your password?" in english


def test_api_problem_titles_follow_accept_language(network: Network) -> None:
    assert Client().get("/api/v1/alerts/", HTTP_ACCEPT_LANGUAGE="fr").json()["title"] == "Non authentifié"
    assert Client().get("/api/v1/alerts/", HTTP_ACCEPT_LANGUAGE="es").json()["title"] == "No autenticado"
    assert Client().get("/api/v1/alerts/").json()["title"] == "Unauthorized"
