"""A material amendment asks again; each answer it clears is audited, and its history stays readable."""

from __future__ import annotations

from alerts.models import Alert
from exchange.models import AuditEntry
from tests.alerts.acknowledgements.conftest import ack_row, answer
from tests.alerts.factories import alert_amended_make
from tests.factories import Network


def test_a_material_amendment_audits_each_reset_acknowledgement(network: Network, alert: Alert) -> None:
    answer(network.fda.assessor, alert, "assessing", comment="Checking US deployments.", decision="adapt",
           rationale="Different firmware in the US")
    ack = ack_row(alert, "FDA")
    assert ack is not None
    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=True)

    [entry] = AuditEntry.objects.filter(action="acknowledgement.reset", object_id=str(ack.pk))
    assert entry.before == {"state": "assessing", "decision": "adapt", "rationale": "Different firmware in the US",
                            "revision": 1}
    assert (entry.after["state"], entry.after["revision"], entry.after["member"]) == (None, 2, "FDA")
    ack.refresh_from_db()
    assert ack.state is None
    assert [(h.state, h.revision, h.comment) for h in ack.history.all()] == [
        ("assessing", 1, "Checking US deployments.")
    ]


def test_a_non_material_amendment_resets_nothing(network: Network, alert: Alert) -> None:
    answer(network.fda.assessor, alert, "received")
    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=False)
    assert not AuditEntry.objects.filter(action="acknowledgement.reset").exists()
