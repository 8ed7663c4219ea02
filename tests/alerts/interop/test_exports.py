"""Exports obey visibility exactly like the JSON (SPEC §3, §6); CAP messages chain through the lifecycle;
the public CAP path serves public alerts only; the Atom feed links every entry to its CAP message."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree
from rest_framework.test import APIClient

from alerts.models import Alert, Tool
from alerts.services.alerts import alert_close, alert_withdraw
from tests.alerts.factories import alert_amended_make, alert_draft_make, alert_published_make
from tests.alerts.interop.conftest import NS
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem

EXPORTS = ("cap", "fhir")


def _cap(response: Any) -> Any:
    assert response.status_code == 200, response.content[:300]
    return etree.fromstring(response.content)


def _text(root: Any, path: str) -> str:
    return root.findtext(path, namespaces=NS) or ""


@pytest.mark.parametrize("export", EXPORTS)
def test_an_export_is_seen_by_exactly_who_sees_the_alert(network: Network, tools: list[Tool], api: Any,
                                                         anon: ApiCaller, export: str) -> None:
    publisher = network.mhra.publisher
    restricted = alert_published_make(actor=publisher, tools=tools, distribution="restricted", recipients=["FDA"])
    draft = alert_draft_make(actor=publisher, tools=tools, distribution="public")
    network_alert = alert_published_make(actor=publisher, tools=tools, distribution="network")
    mhra, fda, hc = (api(r.users["viewer"]) for r in (network.mhra, network.fda, network.hc))

    for caller, alert, visible in [
        (mhra, restricted, True), (fda, restricted, True), (hc, restricted, False),
        (mhra, draft, True), (fda, draft, False), (hc, draft, False),
        (hc, network_alert, True),
    ]:
        json_status = caller.get(f"/api/v1/alerts/{alert.pk}/").status_code
        response = caller.get(f"/api/v1/alerts/{alert.pk}/{export}/")
        assert json_status == (200 if visible else 404)
        if visible:
            assert response.status_code == 200
        else:
            body = assert_problem(response, 404, "not-found")
            assert str(alert.title) not in response.content.decode()
            assert body["detail"]
    assert anon.get(f"/api/v1/alerts/{restricted.pk}/{export}/").status_code == 401
    assert_problem(mhra.get(f"/api/v1/alerts/not-a-uuid/{export}/"), 404)


def test_the_explicit_path_decides_the_format_whatever_accept_says(network: Network, tools: list[Tool],
                                                                      api: Any) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=tools)
    caller = api(network.fda.users["viewer"])
    cap = caller.get(f"/api/v1/alerts/{alert.pk}/cap/", HTTP_ACCEPT="application/json")
    fhir = caller.get(f"/api/v1/alerts/{alert.pk}/fhir/", HTTP_ACCEPT="text/html")
    assert cap.status_code == 200
    assert cap["Content-Type"] == "application/cap+xml"
    assert fhir.status_code == 200
    assert fhir["Content-Type"].startswith("application/fhir+json")


def test_cap_messages_chain_from_alert_through_updates_to_cancel(network: Network, tools: list[Tool],
                                                                 api: Any) -> None:
    publisher = network.mhra.publisher
    caller = api(network.fda.users["viewer"])
    alert = alert_published_make(actor=publisher, tools=tools, distribution="network")
    path = f"/api/v1/alerts/{alert.pk}/cap/"
    seen: list[tuple[str, str, str]] = []

    def step(expected_type: str) -> Any:
        root = _cap(caller.get(path))
        assert _text(root, "cap:msgType") == expected_type
        earlier = [tuple(ref.split(",")) for ref in _text(root, "cap:references").split()]
        assert earlier == seen, "references name every earlier message, as it was sent"
        seen.append((_text(root, "cap:sender"), _text(root, "cap:identifier"), _text(root, "cap:sent")))
        return root

    first = step("Alert")
    assert _text(first, "cap:identifier") == f"{alert.reference}-r1"
    assert _cap(caller.get(path)).findtext("cap:identifier", namespaces=NS) == f"{alert.reference}-r1", "stable"
    alert = alert_amended_make(actor=publisher, alert=alert, change_summary="Versions corrected")
    second = step("Update")
    assert _text(second, "cap:identifier") == f"{alert.reference}-r2"
    assert "Versions corrected" in _text(second, "cap:note")
    alert = alert_amended_make(actor=publisher, alert=alert)
    step("Update")
    alert = alert_close(actor=publisher, alert=alert, resolution="Fixed in 2.4.1")
    closed = step("Update")
    assert _text(closed, "cap:info/cap:urgency") == "Past"
    assert _text(closed, "cap:info/cap:responseType") == "AllClear"
    alert_withdraw(actor=publisher, alert=alert, reason="Issued in error")
    cancel = step("Cancel")
    assert "Issued in error" in _text(cancel, "cap:note")
    identifiers = [identifier for _, identifier, _ in seen]
    assert len(set(identifiers)) == len(identifiers) == 5


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_the_cap_message_carries_the_revision_signature(
    network: Network, tools: list[Tool], api: Any, cap_schema: Any,
) -> None:
    import rfc8785
    from joserfc import jws
    from joserfc.jwk import KeySet

    alert = alert_published_make(actor=network.mhra.publisher, tools=tools)
    alert_amended_make(actor=network.mhra.publisher, alert=alert)
    caller = api(network.fda.viewer)

    root = _cap(caller.get(f"/api/v1/alerts/{alert.pk}/cap/"))

    cap_schema.assertValid(root)
    params = {p.findtext("cap:valueName", namespaces=NS): p.findtext("cap:value", namespaces=NS)
              for p in root.iterfind("cap:info/cap:parameter", NS)}
    revision = caller.get(f"/api/v1/alerts/{alert.pk}/revisions/2/").json()
    signature = revision.pop("signature")
    assert params["jws-signature"] == signature["jws"]  # the current revision's, verifiable offline:
    keys = KeySet.import_key_set(caller.get("/api/v1/members/MHRA/keys/").json())
    jws.deserialize_compact(params["jws-signature"], keys, algorithms=["EdDSA"], payload=rfc8785.dumps(revision))


def test_a_revision_published_before_signatures_has_no_jws_parameter(
    network: Network, tools: list[Tool], api: Any,
) -> None:
    from alerts.models import AlertRevision

    alert = alert_published_make(actor=network.mhra.publisher, tools=tools)
    AlertRevision.objects.filter(alert=alert).update(signature=None)

    root = _cap(api(network.mhra.publisher).get(f"/api/v1/alerts/{alert.pk}/cap/"))

    assert "jws-signature" not in [el.text for el in root.iter(f"{{{NS['cap']}}}valueName")]


def test_the_public_cap_path_serves_public_alerts_only(network: Network, tools: list[Tool], cap_schema: Any) -> None:
    publisher = network.mhra.publisher
    public = alert_published_make(actor=publisher, tools=tools, distribution="public", title="Public one")
    withdrawn = alert_published_make(actor=publisher, tools=tools, distribution="public")
    alert_withdraw(actor=publisher, alert=withdrawn, reason="Issued in error")
    hidden = [
        alert_published_make(actor=publisher, tools=tools, distribution="network"),
        alert_published_make(actor=publisher, tools=tools, distribution="restricted", recipients=["FDA"]),
    ]
    draft = alert_draft_make(actor=publisher, tools=tools, distribution="public")
    client = APIClient()

    response = client.get(f"/public/alerts/{public.reference}/cap.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/cap+xml"
    root = etree.fromstring(response.content)
    cap_schema.assertValid(root)
    assert _text(root, "cap:scope") == "Public"
    assert _text(root, "cap:info/cap:headline") == "Public one"
    assert _text(root, "cap:info/cap:web") == f"http://127.0.0.1:8000/public/alerts/{public.reference}/"
    assert _text(etree.fromstring(client.get(f"/public/alerts/{withdrawn.reference}/cap.xml").content),
                 "cap:msgType") == "Cancel"
    for alert in hidden:
        assert client.get(f"/public/alerts/{alert.reference}/cap.xml").status_code == 404
    assert client.get(f"/public/alerts/{draft.pk}/cap.xml").status_code == 404
    assert client.get("/public/alerts/SAX-2026-999999/cap.xml").status_code == 404
    assert client.post(f"/public/alerts/{public.reference}/cap.xml").status_code == 405


def test_every_atom_entry_links_its_public_page_and_its_cap_message(network: Network, tools: list[Tool]) -> None:
    alerts: list[Alert] = [
        alert_published_make(actor=network.mhra.publisher, tools=tools, distribution="public"),
        alert_published_make(actor=network.fda.publisher, tools=tools, distribution="public"),
    ]
    alert_published_make(actor=network.mhra.publisher, tools=tools, distribution="network")
    client = APIClient()
    feed = etree.fromstring(client.get("/feeds/alerts.atom").content)
    atom = "{http://www.w3.org/2005/Atom}"
    entries = list(feed.iter(f"{atom}entry"))
    assert len(entries) == 2
    by_reference = {alert.reference: alert for alert in alerts}
    for entry in entries:
        links = {(link.get("rel"), link.get("type")): link.get("href") for link in entry.iter(f"{atom}link")}
        cap_href = links[("alternate", "application/cap+xml")]
        page_href = links[("alternate", None)]
        reference = page_href.rstrip("/").rsplit("/", 1)[-1]
        assert page_href == f"http://127.0.0.1:8000/public/alerts/{reference}/"
        assert cap_href == f"http://127.0.0.1:8000/public/alerts/{reference}/cap.xml"
        cap = etree.fromstring(client.get(cap_href.removeprefix("http://127.0.0.1:8000")).content)
        assert _text(cap, "cap:info/cap:headline") == by_reference[reference].title


@pytest.mark.parametrize("export", EXPORTS)
def test_an_export_runs_the_same_queries_whatever_the_number_of_tools(
    network: Network, tools: list[Tool], api: Any, export: str,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import tool_make

    more = tools + [tool_make(actor=network.hc.publisher, identifiers=[{"system": "hc-mdl", "value": f"MDL-{i}"},
                                                                       {"system": "gudid", "value": f"0880012345678{i}"}])
                    for i in range(4)]
    one = alert_published_make(actor=network.mhra.publisher, tools=tools[:1], imdrf_codes=["A0901"])
    six = alert_published_make(actor=network.mhra.publisher, tools=more, imdrf_codes=["A0901", "E0102"])
    six = alert_amended_make(actor=network.mhra.publisher, alert=six)
    caller = api(network.fda.users["viewer"])
    caller.get(f"/api/v1/alerts/{one.pk}/")  # the token's first use is recorded once
    counts = []
    for alert in (one, six):
        with CaptureQueriesContext(connection) as queries:
            assert caller.get(f"/api/v1/alerts/{alert.pk}/{export}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
