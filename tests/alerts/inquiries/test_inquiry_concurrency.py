"""Concurrent answers and closes of one request (PostgreSQL, real threads, through the API): no
deadlock, no 5xx, and the request's status agrees with its answers whoever wins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from alerts.models import Alert, Inquiry, InquiryAnswer
from exchange.services.audit import audit_verify
from tests.alerts.inquiries.conftest import URL, Callers, asked

ROUNDS = 5

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls: Callable[[], Any]) -> list[int]:
    """Start every call at once, each in its own thread and connection; return the status codes."""
    start = threading.Barrier(len(calls))
    codes: list[int] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            connections["default"].ensure_connection()
            start.wait(timeout=10)
            codes.append(call().status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return codes


def test_two_answers_at_once(fda_alert: Alert, callers: Callers) -> None:
    fda, mhra = callers("FDA"), callers("MHRA")
    for _ in range(ROUNDS):
        request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA", "MHRA"])
        url = f"{URL}{request['id']}/answers/"
        codes = race(
            lambda url=url: fda.post(url, {"text": "FDA"}),
            lambda url=url: mhra.post(url, {"text": "MHRA"}),
            lambda url=url: fda.post(url, {"text": "FDA again"}),
        )
        assert sorted(codes) == [201, 201, 201]
        inquiry = Inquiry.objects.get(pk=request["id"])
        assert inquiry.status == "answered"
        assert inquiry.answers.count() == 3
    assert audit_verify()[1] is None


def test_an_answer_races_the_close(fda_alert: Alert, callers: Callers) -> None:
    fda, hc = callers("FDA"), callers("HC")
    for _ in range(ROUNDS):
        request = asked(hc, {"alert": str(fda_alert.pk)}, ["FDA"])
        base = f"{URL}{request['id']}/"
        codes = race(
            lambda base=base: fda.post(f"{base}answers/", {"text": "Answer"}),
            lambda base=base: hc.post(f"{base}close/", {"note": "Close"}),
        )
        assert all(code < 500 for code in codes), codes
        answered = InquiryAnswer.objects.filter(inquiry_id=request["id"]).exists()
        assert Inquiry.objects.get(pk=request["id"]).status == "closed"
        assert sorted(codes) == ([200, 201] if answered else [200, 409])
    assert audit_verify()[1] is None
