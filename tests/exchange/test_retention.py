"""Retention (SPEC §9): old events with their deliveries, day-old idempotency records and expired
sessions go; audit entries, alerts, revisions, reports and acknowledgements stay; the events feed
stays gap-free for a reader inside the window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from alerts.models import Acknowledgement, Alert, AlertRevision, Report
from exchange.models import AuditEntry, Delivery, DeliveryAttempt, Event, IdempotencyRecord, Notification
from exchange.services.retention import retention_sweep
from tests.alerts.factories import alert_amended_make, alert_published_make
from tests.factories import Network, authorization_make, tool_make
from tests.helpers import ApiCaller

pytestmark = pytest.mark.django_db


def _protected_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (AuditEntry, Alert, AlertRevision, Report, Acknowledgement)
    }


def _age(events: list[Event], days: float) -> None:
    Event.objects.filter(pk__in=[e.pk for e in events]).update(created_at=timezone.now() - timedelta(days=days))


@pytest.fixture
def history(network: Network, settings: Any) -> list[Event]:
    """Three published alerts (one amended): their events, oldest first, each with a delivery and a notification."""
    settings.EVENT_RETENTION_DAYS = 90
    tool = tool_make(actor=network.mhra.publisher)
    authorization_make(actor=network.mhra.publisher, tool=tool)
    first = alert_published_make(actor=network.mhra.publisher, tools=[tool])
    alert_amended_make(actor=network.mhra.publisher, alert=first)
    for _ in range(2):
        alert_published_make(actor=network.mhra.publisher, tools=[tool])
    events = list(Event.objects.order_by("sequence"))
    Event.objects.update(dispatched_at=timezone.now())
    for event in events:
        delivery = Delivery.objects.create(
            event=event, member=network.fda.member, channel="email", email="vigilance@fda.test", state="succeeded"
        )
        DeliveryAttempt.objects.create(delivery=delivery, at=timezone.now(), status_code=250)
        Notification.objects.create(member=network.fda.member, event=event, sequence=event.sequence)
    return events


def test_events_older_than_the_window_go_with_their_deliveries_and_nothing_protected_is_touched(
    history: list[Event],
) -> None:
    old, kept = history[:-2], history[-2:]
    _age(old, days=91)
    _age(kept, days=89)
    protected = _protected_counts()

    stats = retention_sweep()

    assert stats.events == len(old)
    assert stats.deliveries == len(old)
    assert list(Event.objects.order_by("sequence").values_list("pk", flat=True)) == [e.pk for e in kept]
    assert set(Delivery.objects.values_list("event_id", flat=True)) == {e.pk for e in kept}
    assert DeliveryAttempt.objects.count() == len(kept)
    assert set(Notification.objects.values_list("event_id", flat=True)) == {e.pk for e in kept}
    assert _protected_counts() == protected
    assert retention_sweep().events == 0  # a second run finds nothing more


def test_only_a_prefix_goes_so_the_feed_stays_gap_free_inside_the_window(
    history: list[Event], network: Network, api: Any
) -> None:
    # A clock step made one event in the middle look old: it stays, with everything after it.
    _age(history[:2], days=120)
    _age(history[3:4], days=120)
    retention_sweep()
    remaining = list(Event.objects.order_by("sequence").values_list("sequence", flat=True))
    assert remaining == [e.sequence for e in history[2:]]

    caller: ApiCaller = api(network.fda.viewer)
    body = caller.get(f"/api/v1/events/?after={history[2].sequence - 1}&limit=200").json()
    sequences = [item["sequence"] for item in body["results"]]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))  # consecutive
    assert sequences[0] == history[2].sequence


def test_the_newest_event_and_undispatched_events_always_stay(history: list[Event]) -> None:
    _age(history, days=365)
    Event.objects.filter(pk=history[2].pk).update(dispatched_at=None)
    retention_sweep()
    assert list(Event.objects.order_by("sequence").values_list("pk", flat=True)) == [e.pk for e in history[2:]]
    Event.objects.filter(pk=history[2].pk).update(dispatched_at=timezone.now())
    retention_sweep()
    assert list(Event.objects.values_list("pk", flat=True)) == [history[-1].pk]  # the next sequence follows it


def test_day_old_idempotency_records_and_expired_sessions_go(network: Network) -> None:
    now = timezone.now()
    fresh = IdempotencyRecord.objects.create(member=network.mhra.member, key="fresh", method="POST", path="/x",
                                             fingerprint="f", created_at=now - timedelta(hours=23))
    IdempotencyRecord.objects.create(member=network.mhra.member, key="stale", method="POST", path="/x",
                                     fingerprint="f", created_at=now - timedelta(hours=25))
    Session.objects.create(session_key="expired" * 4, session_data="", expire_date=now - timedelta(minutes=1))
    Session.objects.create(session_key="current" * 4, session_data="", expire_date=now + timedelta(days=1))

    stats = retention_sweep()

    assert (stats.idempotency_records, stats.sessions) == (1, 1)
    assert list(IdempotencyRecord.objects.all()) == [fresh]
    assert list(Session.objects.values_list("session_key", flat=True)) == ["current" * 4]


def test_retention_works_in_batches(history: list[Event], monkeypatch: pytest.MonkeyPatch) -> None:
    from exchange.services import retention

    monkeypatch.setattr(retention, "EVENT_BATCH", 2)
    _age(history[:-1], days=100)
    assert retention_sweep().events == len(history) - 1


def test_a_batch_that_held_its_locks_too_long_makes_the_next_smaller_and_a_quick_one_larger() -> None:
    """Retention never holds its locks long on a slow disk: each batch is sized from how long the last took."""
    from exchange.services.chain import BATCH_SECONDS, next_batch_size
    from exchange.services.retention import EVENT_BATCH

    assert next_batch_size(200, 3.5, EVENT_BATCH) == 100  # a cold page cache: 3.5 s for 200 events
    assert next_batch_size(1, 3.5, EVENT_BATCH) == 1
    assert next_batch_size(25, BATCH_SECONDS / 10, EVENT_BATCH) == 50
    assert next_batch_size(EVENT_BATCH, 0.01, EVENT_BATCH) == EVENT_BATCH
    assert next_batch_size(40, BATCH_SECONDS * 0.75, EVENT_BATCH) == 40
