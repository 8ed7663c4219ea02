"""The demo shows versions end to end: a tool with 3.1–3.4, an alert on >=3.2,<3.4 fixed in 3.4.0,
and reports on both sides, so that the fix check says the fix worked."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import Client

from alerts.fixcheck_selectors import alert_fix_check
from alerts.models import Alert, ToolVersion
from exchange.models import Member, User


def test_the_demo_fix_check_shows_the_fix_worked(db: None) -> None:
    call_command("seed_demo", "--no-tokens", stdout=StringIO())

    alert = Alert.objects.get(publisher_reference="MHRA-DSI-2026-031")
    [row] = alert.affected_tool_rows.all()
    registered = ToolVersion.objects.filter(tool=row.tool).values_list("version", flat=True)
    assert sorted(registered) == ["3.1.0", "3.2.0", "3.3.1", "3.4.0"]
    assert (row.versions, row.fixed_in, row.affected_versions) == (">=3.2,<3.4", "3.4.0", ["3.2.0", "3.3.1"])
    answer = alert_fix_check(alert=alert, member=Member.objects.get(code="HC"))
    assert {m["metric"]: m["verdict"] for m in answer["metrics"]} == {
        "hallucination_rate": "improved", "major_error_rate": "improved"}

    client = Client()
    client.force_login(User.objects.get(email="viewer@hc.example"))
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Did the fix work?" in page
    assert "Improved" in page
    tool_page = client.get(f"/tools/{row.tool_id}/").content.decode()
    assert "PCCP · FDA" in tool_page
    assert "3.4.0" in tool_page
