"""Concurrent members never deadlock each other (SPEC §7), and one report gets one published correction.

Each race runs real threads against PostgreSQL, repeated enough times that the deadlocks found in
review (row lock then chain lock in one writer, chain lock then row lock in the other) showed up in
every run before every audited write took the chain lock first. A domain refusal (409 Conflict: the
draft was published first, say) is a fine outcome; a deadlock or any other error is not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from alerts.choices import ReportStatus
from alerts.models import Acknowledgement, Alert, Report, Tool
from alerts.services.acknowledgements import acknowledgement_set, acknowledgements_overdue_sweep
from alerts.services.alerts import alert_amend, alert_draft_update, alert_publish
from exchange.errors import ServiceError
from exchange.services.audit import audit_record, audit_verify
from exchange.services.chain import LockOrderError
from tests.alerts.factories import alert_draft_make, alert_published_make
from tests.alerts.reports.conftest import report_make
from tests.factories import Network

ROUNDS = 6

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*actions: Callable[[], Any]) -> list[BaseException]:
    """Start every action at once, each in its own thread and connection; return the unexpected errors."""
    start = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action: Callable[[], Any]) -> None:
        try:
            connections["default"].ensure_connection()  # connect first, so the race starts at the barrier
            start.wait(timeout=10)
            action()
        except ServiceError:
            pass  # a clear 4xx refusal (e.g. 409: someone else got there first)
        except BaseException as exc:  # a deadlock arrives as OperationalError
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_publish_races_a_draft_edit_without_deadlock(network: Network, tool: Tool) -> None:
    publisher = network.mhra.publisher
    failures: list[BaseException] = []
    for round_ in range(ROUNDS):
        draft = alert_draft_make(actor=publisher, tools=[tool], title=f"Race {round_}")
        failures += race(
            lambda d=draft: alert_publish(actor=publisher, alert=d),
            lambda d=draft, r=round_: alert_draft_update(actor=publisher, alert=d, data={"summary": f"Edit {r}"},
                                                          if_match=None),
        )
        assert not failures, failures
        assert Alert.objects.get(pk=draft.pk).status == "published"
    assert audit_verify()[1] is None


def test_material_amendment_races_acknowledgements_without_deadlock(network: Network, tool: Tool) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool])
    answering = [network.fda.assessor, network.hc.assessor, network.tga.assessor]
    failures: list[BaseException] = []
    for round_ in range(ROUNDS):
        alert.refresh_from_db()
        etag = alert.etag
        failures += race(
            lambda r=round_, e=etag: alert_amend(
                actor=network.mhra.publisher, alert=alert, data={"summary": f"Amended summary {r}"},
                change_summary=f"Round {r}", material=True, if_match=e,
            ),
            *[
                lambda u=user, r=round_: acknowledgement_set(
                    actor=u, alert=alert, state="received", decision="adopt", rationale=f"round {r}"
                )
                for user in answering
            ],
        )
    assert not failures, failures
    alert.refresh_from_db()
    assert alert.revision == 1 + ROUNDS
    assert audit_verify()[1] is None


def test_overdue_sweep_races_acknowledgement_and_publish_without_deadlock(network: Network, tool: Tool) -> None:
    failures: list[BaseException] = []
    for round_ in range(ROUNDS):
        overdue = alert_published_make(actor=network.mhra.publisher, tools=[tool], title=f"Overdue {round_}")
        Acknowledgement.objects.filter(alert=overdue).update(deadline=timezone.now() - timedelta(hours=1))
        draft = alert_draft_make(actor=network.fda.publisher, tools=[tool], title=f"Next {round_}")
        failures += race(
            acknowledgements_overdue_sweep,
            lambda a=overdue: acknowledgement_set(actor=network.fda.assessor, alert=a, state="assessing"),
            lambda d=draft: alert_publish(actor=network.fda.publisher, alert=d),
            lambda d=draft: alert_draft_make(actor=network.hc.publisher, tools=[tool]),
        )
    assert not failures, failures
    assert audit_verify()[1] is None


def test_two_corrections_of_one_report_publish_exactly_one(network: Network, tool: Tool) -> None:
    mhra = network.mhra
    failures: list[BaseException] = []
    for round_ in range(ROUNDS):
        original = report_make(by=mhra, tool=tool)
        failures += race(*[
            lambda i=i, r=round_, o=original: report_make(by=mhra, tool=tool, supersedes=str(o.pk),
                                              supersede_reason=f"Recount {r}.{i}")
            for i in range(3)
        ])
        published = Report.objects.filter(supersedes=original, status=ReportStatus.PUBLISHED).count()
        assert published == 1, f"round {round_}: {published} corrections published"
    assert not failures, failures


def test_an_audit_entry_outside_the_helper_is_refused(network: Network) -> None:
    """By construction: writing the chain without having taken its lock first fails loudly."""
    from django.db import transaction

    with pytest.raises(LockOrderError), transaction.atomic():
        audit_record(actor=None, action="test.bare", object_type="test", object_id=1)
