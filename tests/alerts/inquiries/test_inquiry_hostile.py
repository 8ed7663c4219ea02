"""Hostile input on requests (SPEC §6 "Bad input"): a clear 400 naming the field, nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from alerts.models import Alert, Inquiry, InquiryAnswer
from alerts.services.inquiries import TEXT_MAX
from tests.alerts.inquiries.conftest import URL, Callers, asked
from tests.helpers import assert_problem


def body(alert: Alert, **overrides: Any) -> dict[str, Any]:
    return {"subject": {"alert": str(alert.pk)}, "to": ["FDA"], "question": "Which sites?", **overrides}


@pytest.mark.parametrize(("overrides", "field"), [
    ({"question": "x" * (TEXT_MAX + 1)}, "question"),
    ({"question": "bad\x00byte"}, "question"),
    ({"question": "   "}, "question"),
    ({"to": []}, "to"),
    ({"to": ["NOPE"]}, "to"),
    ({"to": ["HC"]}, "to"),
    ({"to": ["F\x00DA"]}, "to"),
    ({"to": "FDA"}, "to"),
    ({"to": ["X" * 40]}, "to"),
    ({"due": "2020-01-01"}, "due"),
    ({"due": "0001-01-01"}, "due"),
    ({"due": "99999-01-01"}, "due"),
    ({"due": "tomorrow"}, "due"),
    ({"confidentiality": "everyone"}, "confidentiality"),
    ({"subject": {}}, "subject"),
    ({"subject": {"alert": "a", "tool": "b"}}, "subject"),
    ({"subject": "alert"}, "subject"),
])
def test_bad_requests_are_400_naming_the_field(fda_alert: Alert, callers: Callers, overrides: dict[str, Any],
                                                field: str) -> None:
    response = callers("HC").post(URL, body(fda_alert, **overrides))

    problem = assert_problem(response, 400)
    assert any(key == field or key.startswith(f"{field}.") or key.startswith(f"{field}[")
               for key in problem.get("errors", {})), problem
    assert Inquiry.objects.count() == 0


@pytest.mark.parametrize(("action", "payload", "field"), [
    ("answers", {"text": "y" * (TEXT_MAX + 1)}, "text"),
    ("answers", {"text": "nul\x00"}, "text"),
    ("answers", {}, "text"),
    ("messages", {"text": "\x00"}, "text"),
    ("close", {"note": ""}, "note"),
    ("close", {"note": "z" * (TEXT_MAX + 1)}, "note"),
])
def test_bad_answers_messages_and_notes(fda_alert: Alert, callers: Callers, action: str, payload: dict[str, Any],
                                        field: str) -> None:
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"])
    caller = callers("HC") if action == "close" else callers("FDA")

    problem = assert_problem(caller.post(f"{URL}{request['id']}/{action}/", payload), 400)

    assert field in problem["errors"], problem
    assert InquiryAnswer.objects.count() == 0
    assert Inquiry.objects.get(pk=request["id"]).status == "open"


def test_text_is_stored_as_given_and_returned_as_json(fda_alert: Alert, callers: Callers) -> None:
    question = "<script>alert(1)</script> ' OR 1=1 -- «é» 🚑"
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"], question=question)

    assert callers("FDA").get(f"{URL}{request['id']}/").json()["question"] == question
