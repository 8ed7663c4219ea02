"""Every XML the service writes carries any stored text (SPEC §6): the Atom feed and the CAP export
stay well-formed, and readable by a strict parser, whatever a member typed into any field that
reaches them; what XML cannot carry is shown as U+FFFD."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from alerts.models import Alert, Tool
from alerts.services.alerts import alert_close, alert_withdraw
from exchange.services.members import member_update
from exchange.text import printable, xml_safe
from tests.alerts.factories import alert_published_make
from tests.factories import Network, authorization_make, tool_make

# One of each class of code point (PostgreSQL text cannot hold NUL or a lone surrogate: those are
# covered below without the database).
STORABLE = {
    "c0": "a\u0001b\u0007c\u000bd\u001fe",
    "tab_lf_cr": "a\tb\nc\rd",
    "del_c1": "a\u007fb\u0085c\u009fd",
    "noncharacters": "a\ufffeb\uffffc",
    "bmp": "é–✓\u200b\ufeff中文",
    "astral": "\U0001f600\U0010fffd",
    "markup": "<b>&amp;</b> \"q\" 'a' ]]> <!-- x -->",
}
HOSTILE = " ".join(STORABLE.values())
STRICT = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)


@pytest.fixture
def hostile(network: Network) -> list[Alert]:
    """Public alerts with hostile text in every field the feed and CAP export show."""
    actor = network.mhra.publisher
    member_update(actor=network.staff, member=network.mhra.member, name=f"MHRA {HOSTILE}")
    tool: Tool = tool_make(actor=actor, name=f"Tool {HOSTILE}", manufacturer=f"Maker {HOSTILE}")
    authorization_make(actor=actor, tool=tool)
    fields: dict[str, Any] = {
        "title": f"Title {HOSTILE}", "summary": f"Summary {HOSTILE}", "hazard": f"Hazard {HOSTILE}",
        "recommended_actions": f"Act {HOSTILE}", "distribution": "public",
    }
    published = alert_published_make(actor=actor, tools=[tool], **fields)
    closed = alert_close(actor=actor, alert=alert_published_make(actor=actor, tools=[tool], **fields),
                         resolution=f"Resolution {HOSTILE}")
    withdrawn = alert_withdraw(actor=actor, alert=alert_published_make(actor=actor, tools=[tool], **fields),
                               reason=f"Reason {HOSTILE}")
    return [published, closed, withdrawn]


def _expected_text() -> str:
    return xml_safe(HOSTILE).replace("\r", "\n")  # XML reads a carriage return as a newline


def test_the_atom_feed_with_every_code_point_class_in_every_field_parses_strictly(
    client: Any, hostile: list[Alert]
) -> None:
    response = client.get("/feeds/alerts.atom")

    assert response.status_code == 200
    root = etree.fromstring(response.content, STRICT)
    text = "".join(root.itertext())
    for label in ("Title", "Summary", "Act", "Resolution", "Reason", "Tool", "Maker", "MHRA"):
        assert f"{label} {_expected_text()}" in text, label
    assert "\ufffd" in text
    assert "\U0001f600" in text  # what XML can carry is kept as it is
    assert "中文" in text


def test_the_cap_export_with_every_code_point_class_parses_strictly(client: Any, hostile: list[Alert]) -> None:
    for alert in hostile:
        response = client.get(f"/public/alerts/{alert.reference}/cap.xml")
        assert response.status_code == 200
        root = etree.fromstring(response.content, STRICT)
        text = "".join(root.itertext()).replace("\r", "\n")  # lxml writes a carriage return as &#13;
        assert f"Title {_expected_text()}" in text


@pytest.mark.parametrize("point", [0x00, 0x01, 0x08, 0x0B, 0x0C, 0x1F, 0x7F, 0x80, 0x9F,
                                   0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xFFFE, 0xFFFF])
def test_xml_safe_replaces_each_character_xml_cannot_carry(point: int) -> None:
    character = chr(point)
    assert xml_safe(f"a{character}b") == "a\ufffdb"
    etree.fromstring(f"<x>{xml_safe(character)}</x>".encode("utf-8", "strict"), STRICT)
    assert printable(f"a{character}b") == "a\ufffdb"


def test_xml_safe_keeps_what_xml_can_carry() -> None:
    kept = "\t\n\r a é \u00a0 \ud7ff \ue000 \ufffd \U00010000 \U0010ffff"
    assert xml_safe(kept) == kept
    assert printable(kept) == kept
