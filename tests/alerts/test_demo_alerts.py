"""`seed_demo`'s safety alerts: every type, severity, distribution and state, made once however often it runs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from alerts.choices import AlertStatus, AlertType, Distribution, Severity
from alerts.demo.data import ALERTS, TOOLS
from alerts.models import Alert, AlertRevision
from exchange.models import AuditEntry, Event


@pytest.mark.django_db
def test_seed_demo_publishes_a_varied_set_of_alerts_once() -> None:
    call_command("seed_demo", "--no-tokens", stdout=StringIO())
    counts = (Alert.objects.count(), AlertRevision.objects.count(), Event.objects.count(),
              AuditEntry.objects.count())

    output = StringIO()
    call_command("seed_demo", "--no-tokens", stdout=output)

    assert (Alert.objects.count(), AlertRevision.objects.count(), Event.objects.count(),
            AuditEntry.objects.count()) == counts
    assert f"{len(ALERTS)}/{len(ALERTS)}" in output.getvalue()
    alerts = Alert.objects.all()
    assert alerts.count() == len(ALERTS) >= 20
    assert set(alerts.values_list("alert_type", flat=True)) == set(AlertType.values)
    assert set(alerts.values_list("severity", flat=True)) == set(Severity.values)
    assert set(alerts.values_list("distribution", flat=True)) == set(Distribution.values)
    assert set(alerts.values_list("status", flat=True)) == set(AlertStatus.values)
    assert alerts.filter(revision__gte=2).exists()  # amended at least once
    assert alerts.filter(revision__gte=2).filter(revisions__material=False).exists()
    assert alerts.values("publisher").distinct().count() >= 5
    # About the fictional demo tools only.
    demo_tools = {name for name, *_ in TOOLS}
    assert set(alerts.values_list("tools__name", flat=True)) <= demo_tools
    # Every change has its event: one per publication, amendment, closure and withdrawal.
    released = alerts.exclude(status=AlertStatus.DRAFT)
    per_alert = dict(
        Event.objects.filter(object_type="alert").values_list("object_id").annotate(n=Count("id"))
    )
    for alert in released:
        expected = alert.revision + int(alert.closed_at is not None) + int(alert.withdrawn_at is not None)
        assert per_alert[str(alert.pk)] == expected, alert.reference
    assert not any(str(alert.pk) in per_alert for alert in alerts.filter(status=AlertStatus.DRAFT))
