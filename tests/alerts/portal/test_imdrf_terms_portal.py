"""The portal picks IMDRF codes by term from the newest release and shows each code with its term."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from alerts.models import Alert, Tool
from exchange.models import User
from tests.alerts.factories import alert_published_make
from tests.alerts.interop.conftest import SAMPLES
from tests.factories import Network

pytestmark = pytest.mark.django_db


def _load_samples() -> None:
    for name in ("sample-consolidated.json", "sample-annex-e.json"):
        call_command("import_imdrf_terms", str(SAMPLES / name), "--release", "2025", stdout=StringIO())


def _form(tool: Tool, codes: list[str]) -> dict[str, Any]:
    return {
        "title": "Missed nodules", "summary": "Fewer nodules found.", "description": "", "alert_type": "software_defect",
        "severity": "high", "affected_jurisdictions": "GB", "hazard": "", "harm": "", "recommended_actions": "",
        "imdrf_codes": codes, "publisher_reference": "", "distribution": "network", "recipients": [],
        "tool_0": str(tool.pk), "versions_0": "", "tool_1": "", "versions_1": "", "tool_2": "", "versions_2": "",
    }


def test_codes_are_picked_by_term_and_shown_with_their_term(
    network: Network, page: Callable[[User], Client], portal_tool: Tool
) -> None:
    _load_samples()
    client = page(network.mhra.publisher)
    form = client.get("/alerts/new/").content.decode()
    assert '<select name="imdrf_codes"' in form
    assert '<option value="A090101">False Negative Result (A090101)</option>' in form
    assert form.count('value="A090103"') == 1  # one choice for a code under two parents
    assert 'value="A1901"' not in form  # retired terms are not offered

    response = client.post("/alerts/new/", _form(portal_tool, ["A090101", "E0102"]))
    assert response.status_code == 302, response.content.decode()[:2000]
    alert = Alert.objects.get(title="Missed nodules")
    assert alert.imdrf_codes == ["A090101", "E0102"]
    detail = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert '<span class="mono">A090101</span> False Negative Result' in detail
    assert '<span class="mono">E0102</span> Missed Diagnosis' in detail

    refused = client.post("/alerts/new/", _form(portal_tool, ["A1901"]))
    assert refused.status_code == 400
    assert "A1901 (Software Malfunction, Unspecified) is retired in IMDRF release 2025" in refused.content.decode()


def test_without_a_release_codes_are_typed(network: Network, page: Callable[[User], Client], portal_tool: Tool) -> None:
    form = page(network.mhra.publisher).get("/alerts/new/").content.decode()
    assert '<input type="text" name="imdrf_codes"' in form


def test_amending_keeps_a_code_a_later_release_retired(
    network: Network, page: Callable[[User], Client], portal_tool: Tool
) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[portal_tool], imdrf_codes=["A1901"])
    _load_samples()  # A1901 is retired in the sample release
    amend = page(network.mhra.publisher).get(f"/alerts/{alert.pk}/amend/").content.decode()
    assert '<option value="A1901" selected>Software Malfunction, Unspecified (A1901) — retired</option>' in amend
