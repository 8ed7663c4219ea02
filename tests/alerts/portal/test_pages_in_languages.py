"""The portal's pages in French, Spanish and Japanese (SPEC §10.5): the page templates and the
portal's own texts (form labels, help, filters) come out of the catalogues, with their placeholders
filled and no English left in the headings a reader sees first."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from alerts.models import Alert
from exchange.models import User
from tests.factories import Network

WORDS = {
    # language: (inbox heading, alert page heading, alert-type label on the draft form, alerts list count)
    "fr": ("Boîte de réception", "Outils et versions concernés", "Type d&#x27;alerte", "1 alerte"),
    "es": ("Bandeja de entrada", "Herramientas y versiones afectadas", "Tipo de alerta", "1 alerta"),
    "ja": ("受信箱", "影響を受けるツールとバージョン", "アラートの種類", "1 件のアラート"),
}



def speak(network: Network, language: str) -> None:
    """Signed in, each person's own language decides (SPEC §10.5), not the browser's."""
    from exchange.services.preferences import preferences_clean, preferences_update

    for user in (network.fda.publisher, network.mhra.publisher):
        preferences_update(actor=user, user=user, changes=preferences_clean({"language": language}))

@pytest.mark.parametrize("language", sorted(WORDS))
def test_the_main_pages_read_in_the_viewers_language(
    language: str, network: Network, page: Callable[[User], Client], restricted_alert: Alert,
) -> None:
    inbox_heading, tools_heading, type_label, count = WORDS[language]
    speak(network, language)
    fda = page(network.fda.publisher)

    inbox = fda.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f"<h1>{inbox_heading}</h1>" in inbox
    assert "Needs your action" not in inbox
    assert "%(" not in inbox
    assert "{{" not in inbox

    detail = fda.get(f"/alerts/{restricted_alert.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f"<h2>{tools_heading}</h2>" in detail
    assert "Affected tools and versions" not in detail
    assert restricted_alert.title in detail  # the alert's own text is not the catalogue's

    listing = fda.get("/alerts/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert count in listing
    assert "%(" not in listing

    form = page(network.mhra.publisher).get("/alerts/new/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert type_label in form
    assert "Alert type" not in form


def test_a_form_error_written_by_the_portal_is_translated(network: Network, page: Callable[[User], Client]) -> None:
    speak(network, "fr")
    response = page(network.mhra.publisher).post("/alerts/new/", {"title": ""}, HTTP_ACCEPT_LANGUAGE="fr")
    body = response.content.decode()
    assert "Saisissez un titre" in body
    assert "Enter a title" not in body
