"""PUT is idempotent also concurrently (SPEC §6): identical answers racing leave one history entry."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections
from rest_framework.test import APIClient

from alerts.models import Acknowledgement, AcknowledgementEntry, Alert
from exchange.models import AuditEntry, Event
from tests.alerts.acknowledgements.conftest import ack_url
from tests.factories import Network, token_make

THREADS = 50


def _race(count: int, send: Any) -> tuple[list[int], list[BaseException]]:
    start = threading.Barrier(count)
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            start.wait(timeout=20)
            status = send()
            with lock:
                statuses.append(status)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_identical_concurrent_puts_all_answer_200_and_leave_one_entry(network: Network, alert: Alert) -> None:
    token = token_make(user=network.fda.assessor).value
    body = {"state": "action_taken", "comment": "Notice sent to all deploying sites", "decision": "adopt",
            "rationale": "Same version on the market here"}

    def put() -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client.put(ack_url(alert), body, format="json").status_code

    statuses, errors = _race(THREADS, put)

    assert not errors, errors
    assert statuses == [200] * THREADS
    ack = Acknowledgement.objects.get(alert=alert, member__code="FDA")
    assert (ack.state, ack.decision) == ("action_taken", "adopt")
    assert AcknowledgementEntry.objects.filter(acknowledgement=ack).count() == 1
    assert AuditEntry.objects.filter(action="acknowledgement.updated", object_id=str(ack.pk)).count() == 1
    assert Event.objects.filter(type="acknowledgement.updated", object_id=str(ack.pk)).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_first_answer_racing_from_an_unrequested_member_creates_one_row(network: Network, alert: Alert) -> None:
    # HC is in the audience but not asked: its row is created by the first answer, under the race.
    token = token_make(user=network.hc.assessor).value

    def put() -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client.put(ack_url(alert), {"state": "received"}, format="json").status_code

    statuses, errors = _race(20, put)

    assert not errors, errors
    assert statuses == [200] * 20
    ack = Acknowledgement.objects.get(alert=alert, member__code="HC")
    assert ack.requested is False
    assert AcknowledgementEntry.objects.filter(acknowledgement=ack).count() == 1
