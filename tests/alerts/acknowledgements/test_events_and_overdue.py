"""Who hears of an acknowledgement (SPEC §4): `acknowledgement.updated` to the publisher;
`acknowledgement.overdue` to the publisher and the late member, with an e-mail to the late member's admins."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from alerts.models import Acknowledgement, Alert
from alerts.services.acknowledgements import acknowledgements_overdue_sweep
from alerts.services.alerts import alert_close, alert_withdraw
from exchange.models import Event
from tests.alerts.acknowledgements.conftest import ack_row, ack_url, answer
from tests.alerts.factories import alert_amended_make
from tests.factories import Network, user_make
from tests.helpers import ApiCaller

Callers = Callable[..., ApiCaller]


def feed(caller: ApiCaller, event_type: str) -> list[dict[str, Any]]:
    response = caller.get("/api/v1/events/", {"type": event_type, "limit": 1000})
    assert response.status_code == 200, response.content
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def deadline_of(alert: Alert, code: str = "FDA") -> datetime:
    ack = ack_row(alert, code)
    assert ack is not None
    assert ack.deadline is not None
    return ack.deadline


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run the tasks queued on commit in-process, so that the reminder e-mail lands in mail.outbox."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


# --- acknowledgement.updated --------------------------------------------------------------------


def test_an_answer_is_an_event_for_the_publisher_only(alert: Alert, callers: Callers) -> None:
    callers("FDA").put(ack_url(alert), {"state": "assessing", "comment": "Checking the deployed versions."})

    events = feed(callers("MHRA", "viewer"), "acknowledgement.updated")

    assert len(events) == 1
    data = events[0]["data"]
    assert (data["alert"], data["member"], data["state"], data["alert_reference"]) == (
        str(alert.pk), "FDA", "assessing", alert.reference,
    )
    assert data["history"][0]["comment"] == "Checking the deployed versions."
    for code in ("FDA", "HC", "TGA", "SMC"):
        assert feed(callers(code, "viewer"), "acknowledgement.updated") == [], code


def test_a_repeat_records_no_event(alert: Alert, callers: Callers) -> None:
    for _ in range(3):
        callers("FDA").put(ack_url(alert), {"state": "received"})
    callers("FDA").put(ack_url(alert), {"state": "assessing"})

    states = [e["data"]["state"] for e in feed(callers("MHRA"), "acknowledgement.updated")]

    assert states == ["received", "assessing"]


def test_an_unrequested_answer_is_an_event_for_the_publisher_too(alert: Alert, callers: Callers) -> None:
    callers("SMC").put(ack_url(alert), {"state": "not_applicable", "comment": "Not marketed in Switzerland."})

    events = feed(callers("MHRA"), "acknowledgement.updated")

    assert [(e["data"]["member"], e["data"]["requested"]) for e in events] == [("SMC", False)]
    assert feed(callers("FDA"), "acknowledgement.updated") == []


# --- acknowledgement.overdue ---------------------------------------------------------------------


def test_the_sweep_tells_publisher_and_late_member_once(network: Network, publish: Callable[..., Alert],
                                                        callers: Callers, django_capture_on_commit_callbacks: Any,
                                                        eager_tasks: None) -> None:
    second_admin = user_make(member=network.fda.member, role="admin", email="vigilance-lead@fda.test")
    user_make(member=network.tga.member, role="admin", email="lead@tga.test")
    retired = user_make(member=network.fda.member, role="admin", email="retired@fda.test")
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    late = publish(title="late for FDA and TGA", severity="critical", affected_jurisdictions=["US", "AU"])
    answered = publish(title="answered in time", severity="critical", affected_jurisdictions=["US"])
    answer(network.fda.assessor, answered, "not_applicable")
    in_progress = publish(title="being assessed", severity="critical", affected_jurisdictions=["CA"])
    answer(network.hc.assessor, in_progress, "assessing")
    publish(title="no deadline", severity="low", affected_jurisdictions=["US"])
    publish(title="not due yet", severity="medium", affected_jurisdictions=["US"])
    now = deadline_of(late) + timedelta(hours=1)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sent = acknowledgements_overdue_sweep(now=now)

    assert sent == 3  # FDA and TGA on the late alert, HC still assessing
    overdue = feed(callers("MHRA"), "acknowledgement.overdue")
    assert sorted((e["data"]["alert_title"], e["data"]["member"]) for e in overdue) == [
        ("being assessed", "HC"), ("late for FDA and TGA", "FDA"), ("late for FDA and TGA", "TGA"),
    ]
    assert [(e["data"]["member"], e["data"]["alert"]) for e in feed(callers("FDA"), "acknowledgement.overdue")] == [
        ("FDA", str(late.pk)),
    ]
    assert [e["data"]["member"] for e in feed(callers("HC"), "acknowledgement.overdue")] == ["HC"]
    assert feed(callers("SMC"), "acknowledgement.overdue") == []
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted(["admin@fda.test", second_admin.email, "admin@tga.test", "lead@tga.test",
                                 "admin@hc.test"])
    fda_mail = next(m for m in mail.outbox if m.to == ["admin@fda.test"])
    assert late.reference in fda_mail.subject
    assert "FDA" in fda_mail.subject
    assert late.title in fda_mail.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = acknowledgements_overdue_sweep(now=now + timedelta(days=30))

    assert again == 1  # only the medium alert has come due since; nothing is told twice
    assert Event.objects.filter(type="acknowledgement.overdue").count() == 4
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(
        ["admin@fda.test", second_admin.email]
    )


def test_nothing_is_overdue_before_the_deadline(alert: Alert) -> None:
    assert acknowledgements_overdue_sweep(now=deadline_of(alert) - timedelta(seconds=1)) == 0
    assert not Event.objects.filter(type="acknowledgement.overdue").exists()


def test_an_overdue_request_shows_as_overdue(alert: Alert, callers: Callers) -> None:
    ack = ack_row(alert, "FDA")
    assert ack is not None
    ack.deadline = ack.requested_at  # due at once
    ack.save(update_fields=["deadline"])

    inbox = callers("FDA").get("/api/v1/inbox/").json()["results"]
    summary = callers("MHRA").get(f"/api/v1/alerts/{alert.pk}/acknowledgements/").json()["summary"]

    assert inbox[0]["acknowledgement"]["overdue"] is True
    assert summary["overdue"] == 1


def test_closed_and_withdrawn_alerts_are_not_chased(network: Network, publish: Callable[..., Alert]) -> None:
    closed = publish(severity="critical")
    alert_close(actor=network.mhra.publisher, alert=closed, resolution="Fixed in 2.4.1.")
    withdrawn = publish(severity="critical")
    alert_withdraw(actor=network.mhra.publisher, alert=withdrawn, reason="Issued in error.")

    assert acknowledgements_overdue_sweep(now=deadline_of(closed) + timedelta(days=1)) == 0


def test_a_material_amendment_restarts_the_clock(network: Network, alert: Alert) -> None:
    Acknowledgement.objects.filter(alert=alert).update(deadline=timezone.now() - timedelta(hours=1))
    assert acknowledgements_overdue_sweep() == 1

    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=True)

    assert acknowledgements_overdue_sweep() == 0
    assert deadline_of(alert) > timezone.now() + timedelta(hours=71)
    assert acknowledgements_overdue_sweep(now=deadline_of(alert) + timedelta(minutes=1)) == 1


def test_the_sweep_works_in_batches(network: Network, publish: Callable[..., Alert]) -> None:
    alerts = [publish(severity="critical", affected_jurisdictions=["US", "CA", "AU"]) for _ in range(2)]

    assert acknowledgements_overdue_sweep(now=deadline_of(alerts[-1]) + timedelta(seconds=1), batch=4) == 6
    assert Event.objects.filter(type="acknowledgement.overdue").count() == 6


def test_a_slow_sweep_shrinks_its_batches_so_the_chain_lock_is_held_briefly(
    network: Network, publish: Callable[..., Alert], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch holds the network's chain lock: it stops telling once it has held it BATCH_SECONDS
    (40–200 ms a request at scale 1.0: a batch of 200 held it 8–13 s), the next one is smaller, and
    every overdue request is still told once."""
    from exchange.services import chain

    alerts = [publish(severity="critical", affected_jurisdictions=["US", "CA", "AU"]) for _ in range(2)]
    sizes: list[int] = []
    clock = iter(range(0, 10_000, 1))  # every reading of the clock one second later: each batch "took" 1 s
    monkeypatch.setattr(chain.time, "monotonic", lambda: float(next(clock)))
    real = chain.next_batch_size
    monkeypatch.setattr(chain, "next_batch_size", lambda size, seconds, most: sizes.append(size) or real(size, seconds, most))

    assert acknowledgements_overdue_sweep(now=deadline_of(alerts[-1]) + timedelta(seconds=1)) == 6
    # Each batch told one request before its time ran out: 2 locked, then one at a time; the last batch
    # (none left) ends the sweep.
    assert sizes == [chain.BATCH_FIRST, 1, 1, 1, 1, 1]
    assert Event.objects.filter(type="acknowledgement.overdue").count() == 6
    assert not Acknowledgement.objects.filter(requested=True, overdue_notified_at__isnull=True,
                                              deadline__lte=deadline_of(alerts[-1])).exists()
