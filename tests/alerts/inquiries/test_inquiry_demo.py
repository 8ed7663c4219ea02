"""The demo's information requests: HC asks FDA three questions about FDA alerts (open, answered, overdue)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from alerts.demo.inquiries import seed_requests
from alerts.inquiry_payloads import inquiry_payload
from alerts.inquiry_selectors import inquiries_with_details
from alerts.models import Inquiry


@pytest.mark.django_db
def test_seed_demo_has_an_open_an_answered_and_an_overdue_request() -> None:
    call_command("seed_demo", "--no-tokens", stdout=StringIO())
    seed_requests(say=lambda text: None)  # a second run adds nothing

    shown = [inquiry_payload(inquiry) for inquiry in inquiries_with_details(Inquiry.objects.order_by("created_at"))]

    assert len(shown) == 3
    assert {(r["asker"], tuple(r["to"]), r["subject"]["kind"]) for r in shown} == {("HC", ("FDA",), "alert")}
    assert sorted((r["status"], tuple(r["overdue"])) for r in shown) == [
        ("answered", ()), ("open", ()), ("open", ("FDA",)),
    ]
    assert all(Inquiry.objects.get(pk=r["id"]).alert.publisher.code == "FDA" for r in shown)  # type: ignore[union-attr]
    answered = next(r for r in shown if r["status"] == "answered")
    assert answered["answers"][0]["signature"]["kid"].startswith("FDA-")
