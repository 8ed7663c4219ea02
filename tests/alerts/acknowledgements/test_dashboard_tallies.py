"""The dashboard's kept tallies (issue #29) give the figures counting the rows gives, whatever was written.

The tallies are kept by PostgreSQL triggers; these tests write through every path a regulator's staff
or the sweeps use (publishing, answering asked and unasked, a deadline extended or passed, a material
amendment asking again, closing, withdrawing, a bulk update and a deletion) and hold the dashboard's
figures from the tallies to the figures counted from the answers themselves.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from alerts.dashboard_selectors import AnswerCounts, answer_counts, counts_from_rows
from alerts.models import AckAnswerTime, Acknowledgement, AckTally, Alert
from alerts.services.acknowledgements import acknowledgement_extend_deadline
from alerts.services.alerts import alert_close, alert_withdraw
from exchange.models import Member
from tests.alerts.acknowledgements.conftest import answer
from tests.alerts.factories import alert_amended_make
from tests.factories import Network

pytestmark = pytest.mark.postgres


def _figures(counts: AnswerCounts) -> dict[str, object]:
    return {
        "members": [(row.stats.as_dict(), row.outstanding) for row in counts.by_member],
        "requested": counts.requested, "outstanding": counts.outstanding, "overdue": counts.overdue,
        "median_hours": None if counts.median_hours is None else round(counts.median_hours, 9),
    }


def _assert_kept_equals_counted(member: Member) -> AnswerCounts:
    now = timezone.now()
    kept = answer_counts(member=member, now=now)
    assert _figures(kept) == _figures(counts_from_rows(member=member, now=now))
    return kept


def _delay(alert: Alert, code: str, hours: float) -> None:
    ack = Acknowledgement.objects.get(alert=alert, member__code=code)
    assert ack.requested_at is not None
    Acknowledgement.objects.filter(pk=ack.pk).update(acknowledged_at=ack.requested_at + timedelta(hours=hours))


def test_every_write_path_keeps_the_tallies_equal_to_the_answers(
    network: Network, publish: Callable[..., Alert]
) -> None:
    rng = random.Random(29)
    mhra = network.mhra
    alerts = [publish(title=f"Drift {i}", affected_jurisdictions=["US", "CA", "AU"]) for i in range(6)]
    assert Acknowledgement.objects.filter(alert__in=alerts, requested=True).count() >= 12  # FDA, HC, TGA asked
    regulators = [network.fda, network.hc, network.tga, network.smc]
    for alert in alerts:
        for regulator in regulators:
            state = rng.choice([None, "received", "assessing", "action_taken", "not_applicable"])
            if state is not None:
                answer(regulator.assessor, alert, state)  # SMC answers unasked: a new row
                if Acknowledgement.objects.get(alert=alert, member=regulator.member).requested:
                    _delay(alert, regulator.member.code, rng.choice([0.25, 2, 2, 7.5, 30, 200]))
    _assert_kept_equals_counted(mhra.member)

    # Deadlines: one passed, one extended; a reminder's timestamp changes nothing counted.
    Acknowledgement.objects.filter(alert=alerts[0], member=network.fda.member).update(
        state=None, deadline=timezone.now() - timedelta(hours=1))
    acknowledgement_extend_deadline(actor=mhra.publisher, alert=alerts[1], member_code="HC",
                                    deadline=timezone.now() + timedelta(days=9))
    Acknowledgement.objects.filter(alert=alerts[2]).update(overdue_notified_at=timezone.now())
    _assert_kept_equals_counted(mhra.member)

    # A material amendment asks again (every answer reset); closing and withdrawing move answers between statuses.
    alert_amended_make(actor=mhra.publisher, alert=alerts[3], material=True)
    alert_close(actor=mhra.publisher, alert=alerts[4], resolution="Fixed in version 3.1.")
    alert_withdraw(actor=mhra.publisher, alert=alerts[5], reason="Issued in error.")
    answer(network.fda.assessor, alerts[3], "assessing")
    _assert_kept_equals_counted(mhra.member)

    # A deletion (the admin, a cascade) takes its answers out.
    Acknowledgement.objects.filter(alert=alerts[0], member=network.hc.member).delete()
    kept = _assert_kept_equals_counted(mhra.member)
    assert kept.requested > 0
    assert kept.by_member

    with connection.cursor() as cursor:  # and counting every tally again from the rows changes nothing
        before = sorted(AckTally.objects.exclude(total=0).values_list(
            "publisher", "member", "status", "total", "requested", "acknowledged", "acted", "not_applicable",
            "open_requested", "open_with_deadline"))
        cursor.execute("SELECT sax_ack_tallies_rebuild()")
    after = sorted(AckTally.objects.values_list(
        "publisher", "member", "status", "total", "requested", "acknowledged", "acted", "not_applicable",
        "open_requested", "open_with_deadline"))
    assert before == after


def test_the_median_from_the_kept_distribution_is_the_exact_median(
    network: Network, publish: Callable[..., Alert]
) -> None:
    """Four answers by FDA (2, 4, 4.01 and 300 hours): the mean of the two middle ones, to the second,
    though 4 and 4.01 hours share a bucket of the distribution."""
    alerts = [publish(title=f"Median {i}", affected_jurisdictions=["US"]) for i in range(4)]
    for alert, hours in zip(alerts, (2, 4, 4.01, 300), strict=True):
        answer(network.fda.assessor, alert, "received")
        _delay(alert, "FDA", hours)
    kept = _assert_kept_equals_counted(network.mhra.member)
    fda = next(row for row in kept.by_member if row.stats.member == "FDA")
    assert fda.stats.median_hours_to_acknowledge == 4.0  # (4 + 4.01) / 2 = 4.005 → 4.0 (two places, as the API)
    assert kept.median_hours == pytest.approx(4.005)


def test_a_tally_that_disagrees_with_the_answers_is_not_shown(
    network: Network, publish: Callable[..., Alert], caplog: pytest.LogCaptureFixture
) -> None:
    alerts = [publish(title=f"Tampered {i}", affected_jurisdictions=["US"]) for i in range(3)]
    for alert, hours in zip(alerts, (1, 5, 9), strict=True):
        answer(network.fda.assessor, alert, "received")
        _delay(alert, "FDA", hours)
    AckAnswerTime.objects.filter(publisher=network.mhra.member, member=network.fda.member).update(n=7)
    with caplog.at_level(logging.ERROR, logger="alerts.dashboard_selectors"):
        kept = answer_counts(member=network.mhra.member, now=timezone.now())
    fda = next(row for row in kept.by_member if row.stats.member == "FDA")
    assert fda.stats.median_hours_to_acknowledge == 5.0  # from the answers, not the tampered distribution
    assert "disagree" in caplog.text


def test_the_dashboard_shows_the_kept_figures_with_a_constant_number_of_queries(
    network: Network, publish: Callable[..., Alert], django_assert_max_num_queries: Callable[..., object]
) -> None:
    client = Client()
    client.force_login(network.mhra.publisher)
    alert = publish(title="Counted once", affected_jurisdictions=["US", "CA"])
    answer(network.fda.assessor, alert, "action_taken")
    client.get("/dashboard/")
    with django_assert_max_num_queries(20) as one:  # type: ignore[attr-defined]
        first = client.get("/dashboard/")
    for i in range(5):
        more = publish(title=f"Counted {i}", affected_jurisdictions=["US", "CA", "AU"])
        answer(network.hc.assessor, more, "received")
    with django_assert_max_num_queries(len(one.captured_queries)):  # type: ignore[attr-defined]
        page = client.get("/dashboard/")
    assert first.status_code == page.status_code == 200
    assert "FDA" in page.content.decode()
    assert "HC" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_answer_committed_while_its_alert_closes_is_counted_under_the_new_status(
    network: Network, publish: Callable[..., Alert]
) -> None:
    """READ COMMITTED race: an answer's transaction is open when the publisher closes the alert. The
    close waits for the answer (its trigger locks the alert's answers) and moves it as committed."""
    alert = publish(title="Closed mid-answer", affected_jurisdictions=["US"])
    ack = Acknowledgement.objects.get(alert=alert, member=network.fda.member, requested=True)
    settings_dict = connection.settings_dict
    dsn = psycopg.conninfo.make_conninfo(
        dbname=settings_dict["NAME"], user=settings_dict["USER"], host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None, password=settings_dict["PASSWORD"] or None,
    )
    answering = psycopg.connect(dsn)
    answering.execute("UPDATE alerts_acknowledgement SET state = 'action_taken', acknowledged_at = now()"
                      " WHERE id = %s", [ack.pk])  # open: not committed yet
    closed = threading.Event()

    def close() -> None:
        with psycopg.connect(dsn, autocommit=True) as closing:
            closing.execute("UPDATE alerts_alert SET status = 'closed' WHERE id = %s", [alert.pk])
        closed.set()

    closer = threading.Thread(target=close)
    closer.start()
    try:
        assert not closed.wait(1.0), "the close did not wait for the open answer"
        answering.commit()
        closer.join(10)
        assert closed.is_set()
    finally:
        answering.close()
    tallies = {row.status: row for row in AckTally.objects.filter(publisher=network.mhra.member,
                                                                  member=network.fda.member)}
    assert tallies["closed"].acted >= 1
    assert tallies["published"].acted == 0
    _assert_kept_equals_counted(network.mhra.member)
