"""Overdue addressees (not answered by `due`): shown to the asker, reminded to their admins once,
through the acknowledgements' overdue sweep (the same beat task)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from alerts.models import Alert, Inquiry
from alerts.services.inquiries import inquiries_overdue_sweep
from alerts.tasks import acknowledgements_overdue_sweep
from exchange.models import AuditEntry, PersonalEmail
from tests.alerts.inquiries.conftest import URL, Callers, asked
from tests.factories import Network, user_make


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def make_late(request: dict[str, Any], days: int = 1) -> None:
    Inquiry.objects.filter(pk=request["id"]).update(due=timezone.now().date() - timedelta(days=days))


def test_an_addressee_that_has_not_answered_by_due_is_overdue(fda_alert: Alert, callers: Callers) -> None:
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA", "MHRA"])
    callers("MHRA").post(f"{URL}{request['id']}/answers/", {"text": "Not deployed in GB."})
    url = f"{URL}{request['id']}/"
    assert callers("HC").get(url).json()["overdue"] == []

    Inquiry.objects.filter(pk=request["id"]).update(due=timezone.now().date())
    assert callers("HC").get(url).json()["overdue"] == []  # due today: not late yet
    make_late(request)
    assert callers("HC").get(url).json()["overdue"] == ["FDA"]

    callers("FDA").post(f"{url}answers/", {"text": "Late, but here."})
    assert callers("HC").get(url).json()["overdue"] == []


def test_a_closed_request_is_nobodys_overdue(fda_alert: Alert, callers: Callers) -> None:
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"])
    make_late(request)
    callers("HC").post(f"{URL}{request['id']}/close/", {"note": "No longer needed."})

    assert callers("HC").get(f"{URL}{request['id']}/").json()["overdue"] == []
    assert inquiries_overdue_sweep() == 0


def test_overdue_admins_are_reminded_once_by_the_ack_sweep(
    network: Network, fda_alert: Alert, callers: Callers, eager_tasks: None, django_capture_on_commit_callbacks: Any,
) -> None:
    user_make(member=network.fda.member, role="admin", email="second-admin@fda.test")
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA", "MHRA"])
    callers("MHRA").post(f"{URL}{request['id']}/answers/", {"text": "Not deployed in GB."})
    make_late(request)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        acknowledgements_overdue_sweep()
    # Reminders travel the one e-mail path (SPEC §10.4): a personal e-mail (and its delivery) per admin.
    reminders = list(PersonalEmail.objects.filter(kind="reminder").select_related("user"))

    assert sorted(r.user.email for r in reminders) == ["admin@fda.test", "second-admin@fda.test"]
    assert all("HC's question to FDA" in r.subject for r in reminders)
    assert "answer it" in reminders[0].text
    assert AuditEntry.objects.filter(action="request.overdue_reminded", object_id=request["id"]).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        acknowledgements_overdue_sweep()
    assert PersonalEmail.objects.filter(kind="reminder").count() == 2


def test_past_due_dates_are_refused(fda_alert: Alert, callers: Callers) -> None:
    yesterday = (timezone.now().date() - timedelta(days=1)).isoformat()
    response = callers("HC").post(URL, {"subject": {"alert": str(fda_alert.pk)}, "to": ["FDA"],
                                        "question": "?", "due": yesterday})

    assert response.status_code == 400
    assert "due" in response.json()["errors"]
