"""The public pages and the alert page's shared parts render in French, Spanish and Japanese (SPEC §10.5):
the public list and alert page negotiate `Accept-Language` when signed out, and an audience member's
alert page shows the tracker, the answer panel and the signature line in the language asked for, with
the counts in the plural form of that language."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from exchange.services.preferences import preferences_clean, preferences_update
from tests.alerts.factories import alert_published_make
from tests.factories import Network, tool_authorised_make
from tests.portal_support import page

__all__ = ["page"]

PUBLIC = {
    "fr": ["Alertes de sécurité publiques sur les outils médicaux d'IA", "1 alerte publique", "Rechercher"],
    "es": ["Alertas de seguridad públicas sobre herramientas médicas de IA", "1 alerta pública", "Buscar"],
    "ja": ["AI医療ツールに関する公開安全性アラート", "公開アラート 1 件", "検索"],
}
PUBLIC_DETAIL = {
    "fr": ["Alertes publiques", "Outils et versions concernés", "Dernière révision", "Révision 1"],
    "es": ["Alertas públicas", "Herramientas y versiones afectadas", "Última revisión", "Revisión 1"],
    "ja": ["公開アラート", "影響を受けるツールとバージョン", "最新の改訂", "改訂版 1"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "es", "ja"])
def test_public_pages_negotiate_the_visitors_language(network: Network, language: str) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool_authorised_make(network=network)], distribution="public",
                                 title="Public: drift after firmware 7.2")
    visitor = Client(HTTP_ACCEPT_LANGUAGE=language)
    listing = visitor.get("/public/alerts/").content.decode()
    for text in PUBLIC[language]:
        assert text in listing, (language, text)
    assert "Public safety alerts about AI medical tools" not in listing
    detail = visitor.get(f"/public/alerts/{alert.reference}/").content.decode()
    for text in PUBLIC_DETAIL[language]:
        assert text in detail, (language, text)
    assert "Affected tools and versions" not in detail
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/public/alerts/").content.decode()
    assert "Public safety alerts about AI medical tools" in english
    assert "1 public alert" in english


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "member_texts", "publisher_texts"), [
    ("fr", ["Ce que FDA doit faire", "Signé par", "Enregistrer la réponse", "Questions aux autres membres"],
     ["Qui a donné suite à cette alerte", "invités à accuser réception", "Nouvelle échéance pour FDA (UTC)"]),
    ("ja", ["FDA が行うべきこと", "が署名", "回答を記録", "他のメンバーへの質問"],
     ["このアラートへの対応状況", "受領確認を依頼", "FDA の新しい期限（UTC）"]),
])
def test_an_alert_page_shows_its_parts_in_the_language(
    network: Network, page: Any, language: str, member_texts: list[str], publisher_texts: list[str]
) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool_authorised_make(network=network)],
                                 distribution="restricted", recipients=["FDA"])
    # Signed in, each person's own language decides (their preferences), not the browser's.
    for user in (network.fda.publisher, network.mhra.publisher):
        preferences_update(actor=user, user=user, changes=preferences_clean({"language": language}))
    member = page(network.fda.publisher).get(f"/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for text in member_texts:
        assert text in member, (language, text)
    assert "must do" not in member
    assert "Record the answer" not in member
    publisher = page(network.mhra.publisher).get(f"/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    for text in publisher_texts:
        assert text in publisher.content.decode(), (language, text)
    assert "Who has acted on this alert" not in publisher.content.decode()
