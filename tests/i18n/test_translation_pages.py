"""An alert's page shows the reader's language when a translation exists (SPEC §10.5): with who
translated it from which language and a link to the original; the public page negotiates
Accept-Language; a member's page follows the member's own language."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from alerts.services.translations import translation_add
from exchange.services.preferences import preferences_clean, preferences_update
from tests.alerts.factories import alert_published_make
from tests.factories import Network, tool_authorised_make
from tests.portal_support import page

__all__ = ["page"]


@pytest.mark.django_db
def test_the_public_page_shows_the_visitors_language_with_the_original_one_click_away(network: Network) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool_authorised_make(network=network)],
                                 distribution="public", title="Drift after firmware 7.2")
    translation_add(actor=network.hc.publisher, alert=alert, data={
        "language": "fr", "title": "Dérive après le micrologiciel 7.2", "summary": "Résumé <b>échappé</b>",
    })
    french = Client(HTTP_ACCEPT_LANGUAGE="fr").get(f"/public/alerts/{alert.reference}/").content.decode()
    assert 'lang="fr"' in french
    assert "Dérive après le micrologiciel 7.2" in french
    assert "Traduit par HC" in french
    assert 'href="#original"' in french
    assert 'id="original"' in french  # the publisher's own text stays on the page
    assert "&lt;b&gt;échappé&lt;/b&gt;" in french
    japanese = Client(HTTP_ACCEPT_LANGUAGE="ja").get(f"/public/alerts/{alert.reference}/").content.decode()
    assert "Dérive après" not in japanese  # no Japanese translation: the original alone


@pytest.mark.django_db
def test_a_members_page_follows_the_members_own_language(network: Network, page: Any) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool_authorised_make(network=network)])
    translation_add(actor=network.fda.publisher, alert=alert, data={
        "language": "ja", "title": "ファームウェア更新後のドリフト", "source": "machine",
    })
    user = network.tga.viewer
    assert "ファームウェア更新後のドリフト" not in page(user).get(f"/alerts/{alert.pk}/").content.decode()
    preferences_update(actor=user, user=user, changes=preferences_clean({"language": "ja"}))
    body = page(user).get(f"/alerts/{alert.pk}/").content.decode()
    assert "ファームウェア更新後のドリフト" in body
    assert 'lang="ja"' in body


@pytest.mark.django_db
def test_the_atom_feed_negotiates_the_readers_language(network: Network) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool_authorised_make(network=network)],
                                 distribution="public", title="Drift after firmware 7.2")
    translation_add(actor=network.hc.publisher, alert=alert, data={"language": "fr", "title": "Dérive après 7.2"})
    french = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/feeds/alerts.atom").content.decode()
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/feeds/alerts.atom").content.decode()
    assert f"{alert.reference}: Dérive après 7.2" in french
    assert "Traduit par HC depuis la langue « en »" in french  # the feed's own words in French too
    assert "alertes de sécurité publiques" in french
    assert "Gravité" in french
    assert 'xml:lang="fr"' in french
    assert "Translated by" not in english
    assert "Severity:" in english
    assert f"{alert.reference}: Drift after firmware 7.2" in english
    assert "Dérive" not in english
