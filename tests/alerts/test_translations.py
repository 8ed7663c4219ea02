"""Translations of alerts (SPEC §10.5): any audience member adds one, signed by it; outdated after a
material amendment; `translations` and `localized` in the API; invisible alerts stay 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts.models import Alert, AlertRevision, Tool
from exchange.models import AuditEntry
from tests.alerts.factories import (
    alert_amended_make,
    alert_draft_make,
    alert_published_make,
    alert_withdrawn_make,
)
from tests.alerts.test_provenance import verify_offline
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem

pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")

FRENCH = {
    "language": "fr",
    "title": "Nodules manqués après la mise à jour du micrologiciel",
    "summary": "La sensibilité a baissé pour les nodules de moins de 6 mm.",
    "recommended_actions": "Relire en double les examens acquis après la mise à jour.",
}


@pytest.fixture
def callers(network: Network, api: Callable[..., ApiCaller]) -> dict[str, ApiCaller]:
    return {code: api(network[code].publisher) for code in ("MHRA", "FDA", "HC", "TGA")}


@pytest.fixture
def alert(network: Network, tool: Tool) -> Alert:
    return alert_published_make(actor=network.mhra.publisher, tools=[tool], title="Missed nodules after firmware 7.2")


def url(alert: Alert, tail: str = "translations/") -> str:
    return f"/api/v1/alerts/{alert.pk}/{tail}"


def test_an_audience_member_translates_and_the_translation_is_signed_by_it(
    alert: Alert, callers: dict[str, ApiCaller]
) -> None:
    response = callers["HC"].post(url(alert), FRENCH)
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("language", "title", "source", "member", "revision", "outdated")} == {
        "language": "fr", "title": FRENCH["title"], "source": "member", "member": "HC", "revision": 1,
        "outdated": False,
    }
    assert body["description"] == ""
    # Verified from the JWKS alone, over the translation as read without `signature` and `outdated`.
    signed = {k: v for k, v in body.items() if k not in ("signature", "outdated")}
    assert verify_offline(callers["TGA"], "HC", signed, body["signature"])
    tampered = {**signed, "title": "Autre chose"}
    with pytest.raises(Exception):  # noqa: B017,PT011 — any JOSE failure: the signature is over the exact text
        verify_offline(callers["TGA"], "HC", tampered, body["signature"])

    read = callers["FDA"].get(url(alert, "")).json()
    assert read["language"] == "en"
    assert [t["member"] for t in read["translations"]] == ["HC"]
    assert "localized" not in read  # only when a language is asked for
    assert callers["FDA"].get(url(alert)).json() == read["translations"]
    assert AuditEntry.objects.filter(action="alert.translated", object_id=str(alert.pk)).count() == 1


def test_localized_follows_lang_or_accept_language(alert: Alert, callers: dict[str, ApiCaller]) -> None:
    callers["HC"].post(url(alert), FRENCH)
    callers["TGA"].post(url(alert), {**FRENCH, "language": "ja", "title": "ファームウェア更新後の結節の見落とし"})
    assert callers["FDA"].get(url(alert, "") + "?lang=fr").json()["localized"]["title"] == FRENCH["title"]
    by_header = callers["FDA"].get(url(alert, ""), HTTP_ACCEPT_LANGUAGE="ja-JP,ja;q=0.9,en;q=0.5").json()
    assert by_header["localized"]["language"] == "ja"
    assert callers["FDA"].get(url(alert, "") + "?lang=es").json()["localized"] is None
    assert callers["FDA"].get(url(alert, "") + "?lang=en").json()["localized"] is None  # the original
    listed = callers["FDA"].get("/api/v1/alerts/?lang=fr").json()["results"]
    assert [row["localized"]["language"] for row in listed if row["id"] == str(alert.pk)] == ["fr"]
    assert_problem(callers["FDA"].get(url(alert, "") + "?lang=%3Cscript%3E"), 400)


def test_the_publishers_own_translation_is_preferred_and_only_it_may_say_publisher(
    alert: Alert, callers: dict[str, ApiCaller]
) -> None:
    body = assert_problem(callers["HC"].post(url(alert), {**FRENCH, "source": "publisher"}), 400)
    assert "source" in body["errors"]
    callers["HC"].post(url(alert), FRENCH)
    assert callers["MHRA"].post(url(alert), {**FRENCH, "title": "Texte de l'éditeur", "source": "publisher"}).status_code == 201
    assert callers["FDA"].get(url(alert, "") + "?lang=fr-CA").json()["localized"]["title"] == "Texte de l'éditeur"


def test_a_material_amendment_marks_translations_outdated_and_a_new_one_replaces_it(
    network: Network, alert: Alert, callers: dict[str, ApiCaller]
) -> None:
    callers["HC"].post(url(alert), FRENCH)
    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=False, change_summary="Typo.")
    assert callers["FDA"].get(url(alert)).json()[0]["outdated"] is False
    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=True, severity="critical")
    stale = callers["FDA"].get(url(alert)).json()[0]
    assert (stale["outdated"], stale["revision"]) == (True, 1)
    assert callers["FDA"].get(url(alert, "") + "?lang=fr").json()["localized"]["outdated"] is True

    again = callers["HC"].post(url(alert), {**FRENCH, "title": "Nodules manqués (révision 3)"})
    assert again.status_code == 200
    fresh = callers["FDA"].get(url(alert)).json()
    assert [(t["revision"], t["outdated"], t["title"]) for t in fresh] == [(3, False, "Nodules manqués (révision 3)")]
    # Revisions keep what was published: no translations inside, and "language" is no spurious change.
    for revision in AlertRevision.objects.filter(alert=alert):
        assert "translations" not in revision.content
        assert "language" not in revision.changed_fields


def test_invisible_alerts_are_404_and_drafts_or_withdrawn_alerts_are_not_translated(
    network: Network, tool: Tool, callers: dict[str, ApiCaller]
) -> None:
    restricted = alert_published_make(actor=network.mhra.publisher, tools=[tool], distribution="restricted",
                                      recipients=["FDA"])
    assert_problem(callers["HC"].post(url(restricted), FRENCH), 404)
    assert_problem(callers["HC"].get(url(restricted)), 404)
    callers["FDA"].post(url(restricted), FRENCH)
    assert_problem(callers["HC"].get(url(restricted, "") + "?lang=fr"), 404)

    draft = alert_draft_make(actor=network.mhra.publisher, tools=[tool])
    assert_problem(callers["HC"].post(url(draft), FRENCH), 404)
    assert_problem(callers["MHRA"].post(url(draft), FRENCH), 409)
    withdrawn = alert_withdrawn_make(actor=network.mhra.publisher, tools=[tool])
    assert_problem(callers["HC"].post(url(withdrawn), FRENCH), 409)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**FRENCH, "language": "en"}, "language"),
        ({**FRENCH, "language": "en-GB"}, "language"),
        ({**FRENCH, "language": "français"}, "language"),
        ({**FRENCH, "language": "fr\u0000"}, "language"),
        ({**FRENCH, "title": ""}, "title"),
        ({**FRENCH, "title": "x" * 301}, "title"),
        ({**FRENCH, "summary": "nul \u0000 here"}, "summary"),
        ({**FRENCH, "source": "oracle"}, "source"),
        ({k: v for k, v in FRENCH.items() if k != "language"}, "language"),
    ],
)
def test_bad_translations_are_400_naming_the_field_and_write_nothing(
    alert: Alert, callers: dict[str, ApiCaller], body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(callers["HC"].post(url(alert), body), 400)
    assert field in problem["errors"], problem
    assert callers["HC"].get(url(alert)).json() == []


def test_an_alert_is_drafted_in_its_language(network: Network, tool: Tool, callers: dict[str, ApiCaller]) -> None:
    from tests.alerts.factories import alert_payload

    created = callers["HC"].post("/api/v1/alerts/", alert_payload(tools=[tool], language="FR-ca"))
    assert created.status_code == 201, created.content
    assert created.json()["language"] == "fr-CA"
    assert_problem(callers["HC"].post("/api/v1/alerts/", alert_payload(tools=[tool], language="??")), 400)


@pytest.mark.django_db
def test_an_alert_is_found_by_the_words_of_its_translation(alert: Alert, callers: dict[str, ApiCaller]) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the translations' words are indexed in PostgreSQL's search vector")
    assert callers["FDA"].get("/api/v1/alerts/?search=micrologiciel").json()["results"] == []
    callers["HC"].post(url(alert), FRENCH)
    found = callers["FDA"].get("/api/v1/alerts/?search=micrologiciel").json()["results"]
    assert [row["id"] for row in found] == [str(alert.pk)]
