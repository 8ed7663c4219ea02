"""CAP carries one `info` block per language (SPEC §10.5): the publisher's first, in the alert's own
language, then each current translation's with its `language` set, who translated it and its signature;
the message still validates against the CAP 1.2 schema."""

from __future__ import annotations

from typing import Any

from lxml import etree

from alerts.models import Tool
from tests.alerts.factories import alert_amended_make, alert_published_make
from tests.factories import Network

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}


def _infos(root: Any) -> list[dict[str, Any]]:
    blocks = []
    for info in root.findall("cap:info", NS):
        parameters = {p.findtext("cap:valueName", namespaces=NS): p.findtext("cap:value", namespaces=NS)
                      for p in info.findall("cap:parameter", NS)}
        blocks.append({"language": info.findtext("cap:language", namespaces=NS),
                       "headline": info.findtext("cap:headline", namespaces=NS), "parameters": parameters})
    return blocks


def test_cap_has_an_info_block_per_current_translation_and_validates(
    network: Network, tools: list[Tool], api: Any, cap_schema: Any,
) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=tools, title="Missed nodules after firmware 7.2")
    url = f"/api/v1/alerts/{alert.pk}/translations/"
    assert api(network.hc.publisher).post(url, {"language": "fr", "title": "Nodules manqués"}).status_code == 201
    assert api(network.fda.publisher).post(url, {"language": "ja", "title": "結節の見落とし", "source": "machine"}).status_code == 201

    root = etree.fromstring(api(network.fda.viewer).get(f"/api/v1/alerts/{alert.pk}/cap/").content)
    cap_schema.assertValid(root)
    infos = _infos(root)
    assert [(i["language"], i["headline"]) for i in infos] == [
        ("en", "Missed nodules after firmware 7.2"), ("fr", "Nodules manqués"), ("ja", "結節の見落とし"),
    ]
    assert infos[1]["parameters"]["translated-by"] == "HC"
    assert infos[2]["parameters"]["translation-source"] == "machine"
    assert infos[1]["parameters"]["translation-jws-signature"].count(".") == 2

    # A material amendment makes both outdated: the message is the publisher's text alone again.
    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=True, severity="critical")
    root = etree.fromstring(api(network.fda.viewer).get(f"/api/v1/alerts/{alert.pk}/cap/").content)
    cap_schema.assertValid(root)
    assert [i["language"] for i in _infos(root)] == ["en"]
