"""Registering, listing and withdrawing tool versions; every refusal that names versions (SPEC §10.2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alerts.models import AlertTool, Authorization, Report, Tool, ToolVersion
from exchange.models import AuditEntry
from tests.alerts.factories import alert_payload
from tests.alerts.reports.conftest import report_payload
from tests.alerts.versions.conftest import VERSIONS, versions_url
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem, row_counts

Callers = Callable[..., ApiCaller]


def test_any_member_registers_versions_and_the_list_is_in_version_order(tool: Tool, callers: Callers) -> None:
    for version in ("3.10.0", "3.2.0", "3.9.1"):
        response = callers("HC", "assessor").post(versions_url(tool), {"version": version})
        assert response.status_code == 201, response.json()
        assert response["Location"].endswith(f"/versions/{response.json()['id']}/")
    pccp = {"authorised_by": "FDA", "reference": "PCCP-K231234"}
    created = callers("FDA").post(versions_url(tool), {
        "version": "3.4.0", "released_on": "2026-05-01", "change_summary": "Retrained on 2025 scanner data",
        "significant": False, "pccp": pccp}).json()
    assert (created["pccp"], created["registered_by"], created["withdrawn"]) == (pccp, "FDA", False)

    listed = callers("SMC", "viewer").get(versions_url(tool)).json()["results"]
    assert [v["version"] for v in listed] == ["3.2.0", "3.4.0", "3.9.1", "3.10.0"]
    assert AuditEntry.objects.filter(action="tool_version.registered").count() == 4


def test_a_version_is_registered_once_and_must_be_one_version(tool: Tool, callers: Callers) -> None:
    caller = callers("MHRA")
    assert caller.post(versions_url(tool), {"version": "3.4.0"}).status_code == 201
    before = row_counts()
    assert_problem(caller.post(versions_url(tool), {"version": "3.4"}), 409)  # PEP 440-equal to 3.4.0
    for bad in (">=3.4", "3.1, 3.2", ""):
        assert "version" in assert_problem(caller.post(versions_url(tool), {"version": bad}), 400)["errors"]
    refused = assert_problem(caller.post(versions_url(tool), {"version": "3.5.0",
                                                              "pccp": {"authorised_by": "XYZ"}}), 400)
    assert "pccp.authorised_by" in refused["errors"]
    assert row_counts() == before
    assert callers("MHRA", "viewer").post(versions_url(tool), {"version": "3.6.0"}).status_code == 403


def test_a_mistaken_version_is_withdrawn_with_a_reason_and_stops_counting(
    network: Network, versioned: Tool, callers: Callers,
) -> None:
    row = ToolVersion.objects.get(tool=versioned, version="3.3.1")
    url = f"{versions_url(versioned)}{row.pk}/withdraw/"
    assert_problem(callers("FDA").post(url, {"reason": "Not ours"}), 403)  # MHRA registered it
    assert "reason" in assert_problem(callers("MHRA").post(url, {}), 400)["errors"]
    withdrawn = callers("MHRA").post(url, {"reason": "Registered under the wrong tool"}).json()
    assert (withdrawn["withdrawn"], withdrawn["withdrawn_reason"]) == (True, "Registered under the wrong tool")
    assert_problem(callers("MHRA").post(url, {"reason": "again"}), 409)
    listed = callers("FDA").get(versions_url(versioned)).json()["results"]
    assert [(v["version"], v["withdrawn"]) for v in listed] == [
        ("3.1.0", False), ("3.2.0", False), ("3.3.1", True), ("3.4.0", False)]
    assert AuditEntry.objects.filter(action="tool_version.withdrawn", object_id=str(row.pk)).count() == 1

    refused = callers("MHRA").post("/api/v1/reports/", report_payload(versioned, tool_version="3.3.1"))
    body = assert_problem(refused, 400)
    assert body["known_versions"] == ["3.1.0", "3.2.0", "3.4.0"]
    assert_problem(callers("MHRA").post(f"{versions_url(versioned)}{row.pk}x/withdraw/", {"reason": "x"}), 404)


def _refusal(caller: ApiCaller, tool: Tool, **item: Any) -> dict[str, Any]:
    body = alert_payload(tools=[tool], affected_tools=[{"tool": str(tool.pk), **item}])
    return assert_problem(caller.post("/api/v1/alerts/", body), 400)


def test_every_refusal_of_affected_versions_names_the_field_and_lists_the_known_versions(
    versioned: Tool, callers: Callers,
) -> None:
    caller = callers("MHRA")
    before = row_counts()
    cases = [
        ({"versions": ">=4.0"}, "affected_tools[0].versions"),  # matches no registered version
        ({"versions": "3.5.0, 3.6.0"}, "affected_tools[0].versions"),
        ({"versions": ">=3.2,<"}, "affected_tools[0].versions"),  # malformed
        ({"versions": ">=3.2,<3.4", "fixed_in": "3.5.0"}, "affected_tools[0].fixed_in"),  # not registered
        ({"versions": ">=3.2,<3.4", "fixed_in": "3.3.1"}, "affected_tools[0].fixed_in"),  # one it affects
    ]
    for item, field in cases:
        body = _refusal(caller, versioned, **item)
        assert field in body["errors"], (item, body)
        assert body["known_versions"] == list(VERSIONS)
        assert "3.1.0, 3.2.0, 3.3.1, 3.4.0" in body["errors"][field][0]
    assert row_counts() == before


def test_affected_versions_read_back_in_order_with_fixed_in(versioned: Tool, callers: Callers) -> None:
    body = alert_payload(tools=[versioned], affected_tools=[
        {"tool": str(versioned.pk), "versions": ">=3.2,<3.4", "fixed_in": "3.4"}])
    created = callers("MHRA").post("/api/v1/alerts/", body).json()
    [row] = created["affected_tools"]
    assert (row["versions"], row["fixed_in"], row["affected_versions"]) == (">=3.2,<3.4", "3.4.0", ["3.2.0", "3.3.1"])
    listed = callers("MHRA").post("/api/v1/alerts/", alert_payload(tools=[versioned], affected_tools=[
        {"tool": str(versioned.pk), "versions": "3.3.1, 3.1.0"}])).json()
    assert listed["affected_tools"][0]["affected_versions"] == ["3.1.0", "3.3.1"]
    everything = callers("MHRA").post("/api/v1/alerts/", alert_payload(tools=[versioned], affected_tools=[
        {"tool": str(versioned.pk)}])).json()
    assert everything["affected_tools"][0]["affected_versions"] == list(VERSIONS)


def test_a_tool_without_versions_keeps_any_well_formed_specifier_as_given(tool: Tool, callers: Callers) -> None:
    for given in (">=2.0,<2.4", "2.1, 2.2", "2024-spring", "==2.*"):
        created = callers("MHRA").post("/api/v1/alerts/", alert_payload(tools=[tool], affected_tools=[
            {"tool": str(tool.pk), "versions": given}]))
        assert created.status_code == 201, created.json()
        assert created.json()["affected_tools"][0]["versions"] == given
    body = _refusal(callers("MHRA"), tool, versions=">=2.0", fixed_in="2.5")
    assert "affected_tools[0].fixed_in" in body["errors"]
    assert body["known_versions"] == []
    report = callers("MHRA").post("/api/v1/reports/", report_payload(tool, tool_version="whatever-1"))
    assert report.status_code == 201, report.json()


def test_a_report_names_a_registered_version(versioned: Tool, callers: Callers) -> None:
    caller = callers("FDA")
    before = row_counts()
    body = assert_problem(caller.post("/api/v1/reports/", report_payload(versioned, tool_version="2.1")), 400)
    assert "tool_version" in body["errors"]
    assert body["known_versions"] == list(VERSIONS)
    assert row_counts() == before
    created = callers("FDA").post("/api/v1/reports/", report_payload(versioned, tool_version="3.4", country="US"))
    assert created.json()["tool_version"] == "3.4.0"  # the registered spelling
    assert Report.objects.get(pk=created.json()["id"]).tool_version == "3.4.0"


def test_an_authorisation_says_which_versions_it_covers(network: Network, versioned: Tool, callers: Callers) -> None:
    auth = Authorization.objects.get(tool=versioned, jurisdiction="US")
    url = f"/api/v1/tools/{versioned.pk}/authorizations/{auth.pk}/"
    refused = assert_problem(callers("FDA").patch(url, {"versions": ">=5.0"}), 400)
    assert "versions" in refused["errors"]
    assert refused["known_versions"] == list(VERSIONS)
    changed = callers("FDA").patch(url, {"versions": ">=3.2"})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["versions"] == ">=3.2"
    entry = AuditEntry.objects.filter(action="authorization.updated", object_id=str(auth.pk)).latest("id")
    assert (entry.before["versions"], entry.after["versions"]) == ("", ">=3.2")
    assert callers("FDA").patch(url, {"status": "suspended"}).json()["versions"] == ">=3.2"  # untouched

    created = callers("TGA").post(f"/api/v1/tools/{versioned.pk}/authorizations/", {
        "jurisdiction": "AU", "reference": "ARTG-1", "date": "2026-01-01", "versions": "3.1.0, 3.2.0"})
    assert created.status_code == 201, created.json()
    assert created.json()["versions"] == "3.1.0, 3.2.0"
    assert_problem(callers("HC").post(f"/api/v1/tools/{versioned.pk}/authorizations/", {
        "jurisdiction": "CA", "reference": "HC-1", "date": "2026-01-01", "versions": "9.9"}), 400)


def test_the_data_migration_keeps_free_text_it_cannot_read_in_a_note(tool: Tool, network: Network) -> None:
    from importlib import import_module

    from django.apps import apps

    from tests.alerts.factories import alert_draft_make

    alert = alert_draft_make(actor=network.mhra.publisher, tools=[tool])
    AlertTool.objects.filter(alert=alert).update(versions="versions before 5.2 (all sites)")
    migration = import_module("alerts.migrations.0011_versions_free_text")
    migration.forwards(apps, None)
    row = AlertTool.objects.get(alert=alert)
    assert (row.versions, row.versions_note) == ("", "versions before 5.2 (all sites)")
    migration.backwards(apps, None)
    assert AlertTool.objects.get(alert=alert).versions == "versions before 5.2 (all sites)"
