"""The publisher extends one member's deadline: `PATCH /api/v1/alerts/{id}/acknowledgements/` (SPEC §6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert
from alerts.services.acknowledgements import acknowledgements_overdue_sweep
from exchange.models import AuditEntry, Event
from tests.alerts.acknowledgements.conftest import ack_row, acks_url
from tests.helpers import ApiCaller, assert_problem, row_counts

Callers = Callable[..., ApiCaller]


def _deadline(alert: Alert, code: str = "FDA") -> datetime:
    ack = ack_row(alert, code)
    assert ack is not None
    assert ack.deadline is not None
    return ack.deadline


def test_the_publisher_extends_one_members_deadline(alert: Alert, callers: Callers) -> None:
    current = _deadline(alert)
    later = (current + timedelta(days=3)).replace(microsecond=0)

    response = callers("MHRA", "publisher").patch(acks_url(alert), {"member": "fda", "deadline": later.isoformat()})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["member"] == "FDA"
    assert body["deadline"].replace("Z", "+00:00") == later.isoformat()
    assert _deadline(alert) == later
    entry = AuditEntry.objects.filter(action="acknowledgement.deadline_extended").last()
    assert entry is not None
    assert entry.member_code == "MHRA"
    assert entry.actor_email == "publisher@mhra.test"
    assert entry.before["deadline"][:19] == current.isoformat()[:19]  # type: ignore[index]
    assert entry.after["member"] == "FDA"  # type: ignore[index]


@pytest.mark.parametrize(
    ("shift", "reason"),
    [(timedelta(0), "later"), (-timedelta(hours=1), "later"), (-timedelta(days=10), "future")],
)
def test_an_extension_must_be_later_and_in_the_future(alert: Alert, callers: Callers, shift: timedelta,
                                                      reason: str) -> None:
    target = _deadline(alert) + shift if reason == "later" else timezone.now() + shift
    mhra = callers("MHRA", "publisher")
    counts = row_counts()

    response = mhra.patch(acks_url(alert), {"member": "FDA", "deadline": target.isoformat()})

    body = assert_problem(response, 400, "validation-error")
    assert reason in body["detail"]
    assert "deadline" in body["errors"]
    assert row_counts() == counts


def test_a_member_without_a_request_cannot_be_extended(alert: Alert, callers: Callers) -> None:
    response = callers("MHRA", "publisher").patch(
        acks_url(alert), {"member": "HC", "deadline": (timezone.now() + timedelta(days=30)).isoformat()},
    )

    assert "member" in assert_problem(response, 400, "validation-error")["errors"]


def test_a_deadline_may_be_set_where_the_severity_has_none(publish: Callable[..., Alert], callers: Callers) -> None:
    low = publish(severity="low")
    target = timezone.now() + timedelta(days=14)

    response = callers("MHRA", "publisher").patch(acks_url(low), {"member": "FDA", "deadline": target.isoformat()})

    assert response.status_code == 200
    assert _deadline(low) == target


@pytest.mark.parametrize(("code", "role"), [("FDA", "publisher"), ("FDA", "admin"), ("MHRA", "assessor"),
                                            ("MHRA", "viewer")])
def test_only_the_publishing_members_publishers_may_extend(alert: Alert, callers: Callers, code: str,
                                                           role: str) -> None:
    caller = callers(code, role)
    counts = row_counts()
    before = _deadline(alert)

    response = caller.patch(acks_url(alert), {"member": "FDA", "deadline": (before + timedelta(days=1)).isoformat()})

    assert_problem(response, 403, "forbidden")
    assert _deadline(alert) == before
    assert row_counts() == counts


def test_a_restricted_alert_is_a_404_to_non_recipients(publish: Callable[..., Alert], callers: Callers) -> None:
    restricted = publish(distribution="restricted", recipients=["FDA"])

    for method in ("get", "patch"):
        response = getattr(callers("HC", "admin"), method)(
            acks_url(restricted), {"member": "FDA", "deadline": (timezone.now() + timedelta(days=9)).isoformat()},
        )
        assert_problem(response, 404, "not-found")


def test_only_the_publisher_lists_every_members_acknowledgement(alert: Alert, callers: Callers) -> None:
    assert_problem(callers("FDA", "admin").get(acks_url(alert)), 403, "forbidden")

    body = callers("MHRA", "viewer").get(acks_url(alert)).json()

    assert [row["member"] for row in body["results"]] == ["FDA", "HC", "SMC", "TGA"]
    assert body["summary"] == {"audience": 4, "requested": 1, "acknowledged": 0, "acted": 0, "not_applicable": 0,
                               "overdue": 0}


def test_an_extension_lets_the_overdue_reminder_go_again(alert: Alert, callers: Callers) -> None:
    first_deadline = _deadline(alert)
    assert acknowledgements_overdue_sweep(now=first_deadline + timedelta(minutes=1)) == 1
    extended = first_deadline + timedelta(days=2)

    callers("MHRA", "publisher").patch(acks_url(alert), {"member": "FDA", "deadline": extended.isoformat()})

    assert acknowledgements_overdue_sweep(now=first_deadline + timedelta(days=1)) == 0  # not yet due again
    assert acknowledgements_overdue_sweep(now=extended + timedelta(minutes=1)) == 1
    assert Event.objects.filter(type="acknowledgement.overdue").count() == 2
