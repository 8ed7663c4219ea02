"""The portal shows "Signed by MHRA (key …)" with a mark the server computed by verifying (SPEC §8)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from alerts.models import AlertRevision, Tool
from exchange.models import User
from tests.alerts.factories import alert_amended_make, alert_published_make
from tests.alerts.reports.conftest import report_make
from tests.factories import Network

pytestmark = pytest.mark.django_db


def _text(client: Client, url: str) -> str:
    """The page as a reader sees it: text without tags, spaces collapsed."""
    return " ".join(strip_tags(client.get(url).content.decode()).split())


def test_each_revision_shows_its_verified_signer_and_key(
    network: Network, portal_tool: Tool, page: Callable[[User], Client]
) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[portal_tool])
    first = AlertRevision.objects.get(alert=alert)
    call_command("rotate_signing_key", "MHRA", stdout=open("/dev/null", "w"))  # noqa: SIM115
    alert_amended_make(actor=network.mhra.publisher, alert=alert)
    second = AlertRevision.objects.get(alert=alert, number=2)

    text = _text(page(network.fda.viewer), reverse("portal:alert-detail", args=[alert.pk]))

    assert text.count("Signed by MHRA") == 2
    assert f"Signed by MHRA (key {first.signature['kid']}, since retired) — verified" in text
    assert f"Signed by MHRA (key {second.signature['kid']}) — verified" in text
    assert "does not verify" not in text


def test_a_revision_changed_in_the_database_loses_its_mark(
    network: Network, portal_tool: Tool, page: Callable[[User], Client]
) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[portal_tool], title="Drift in LungScan")
    revision = AlertRevision.objects.get(alert=alert)
    AlertRevision.objects.filter(pk=revision.pk).update(content={**revision.content, "title": "Drift in LungScam"})

    text = _text(page(network.fda.viewer), reverse("portal:alert-detail", args=[alert.pk]))

    assert "Signed by MHRA" not in text
    assert "Signature does not verify" in text


def test_a_report_shows_its_verified_signer(network: Network, portal_tool: Tool, page: Callable[[User], Client]) -> None:
    report = report_make(by=network.mhra, tool=portal_tool)

    text = _text(page(network.fda.viewer), reverse("portal:report-detail", args=[report.pk]))

    assert f"Signed by MHRA (key {report.signature['kid']}) — verified" in text
