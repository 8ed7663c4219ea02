"""One review per relying authorisation and trigger, also when the same trigger is handled concurrently."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connections, transaction

from alerts.models import Alert, Authorization, RelianceReview
from alerts.services.reliance import reliance_reviews_for_alert, reliance_reviews_for_change
from exchange.models import Event
from exchange.services.chain import audited_transaction
from tests.alerts.factories import alert_published_make
from tests.alerts.reliance.conftest import Reliance

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 6


def race(action: Callable[[], Any]) -> list[BaseException]:
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            connections["default"].ensure_connection()
            start.wait(timeout=10)
            action()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_the_same_alert_trigger_handled_concurrently_opens_one_review_each(network, reliance: Reliance) -> None:
    alert = alert_published_make(actor=network.fda.publisher, tools=[reliance.tool], severity="critical")
    RelianceReview.objects.all().delete()  # as if the publishing transaction had not opened them yet
    Event.objects.filter(type="reliance.review_opened").delete()

    def again() -> None:
        with audited_transaction():
            reliance_reviews_for_alert(actor=network.fda.publisher, alert=Alert.objects.select_related(
                "publisher").get(pk=alert.pk))

    assert race(again) == []
    assert sorted(RelianceReview.objects.values_list("relying_member__code", flat=True)) == ["HC", "MHRA"]
    assert Event.objects.filter(type="reliance.review_opened").count() == 2


def test_the_same_change_trigger_handled_concurrently_opens_one_review_each(network, reliance: Reliance) -> None:
    event = Event.objects.filter(type="authorisation.changed", object_id=str(reliance.fda.pk)).get()
    reference = Authorization.objects.get(pk=reliance.fda.pk)

    def again() -> None:
        with audited_transaction():
            reliance_reviews_for_change(actor=network.fda.publisher, reference=reference,
                                        before={"status": "authorised"}, after={"status": "suspended"}, event=event)

    assert race(again) == []
    assert sorted(RelianceReview.objects.values_list("relying_member__code", flat=True)) == ["HC", "MHRA"]
    assert Event.objects.filter(type="reliance.review_opened").count() == 2


def test_the_database_refuses_a_second_review_of_one_trigger(network, reliance: Reliance) -> None:
    alert_published_make(actor=network.fda.publisher, tools=[reliance.tool])
    review = RelianceReview.objects.filter(authorization=reliance.hc).get()
    review.id = uuid.uuid4()  # the same authorisation and trigger under a new id

    with pytest.raises(IntegrityError), transaction.atomic():
        review.save(force_insert=True)
