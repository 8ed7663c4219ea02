"""Demo information requests (SPEC §10.3): Health Canada asks the FDA about three FDA alerts; one is
open, one answered (signed), one overdue. Safe to run twice: a request already there is left alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from alerts.models import Alert, Inquiry
from alerts.services.inquiries import inquiry_answer, inquiry_open
from exchange.models import User

# (FDA alert reference, question, answer or None, days overdue or None)
REQUESTS: tuple[tuple[str, str, str | None, int | None], ...] = (
    ("FDA-CDRH-26-0158",
     "Were GlucoTrend Forecast 5.0–5.2.0 units distributed to Canada through the US distributor, and do you "
     "know how many Canadian users the recall notice reached?", None, None),
    ("FDA-CDRH-26-0113",
     "Does the StrokeSight daylight-saving defect also affect sites configured for Newfoundland time "
     "(UTC−03:30)?",
     "Yes: the manufacturer confirmed that every half-hour offset is affected; 3.1.3 fixes all of them.", None),
    ("FDA-CDRH-26-0199",
     "Which ColonoDetect capture-module builds bundle the vulnerable image library, and is a patched build "
     "available for installations outside the US?", None, 6),
)


def seed_requests(*, say: Callable[[str], None]) -> None:
    asker = User.objects.select_related("member").get(email="assessor@hc.example")
    answerer = User.objects.select_related("member").get(email="assessor@fda.example")
    for reference, question, answer, days_late in REQUESTS:
        alert = Alert.objects.filter(publisher_reference=reference).exclude(status="draft").first()
        if alert is None:
            continue
        inquiry = Inquiry.objects.filter(alert=alert, question=question).first()
        if inquiry is None:
            inquiry = inquiry_open(actor=asker, subject_kind="alert", subject_id=alert.pk, to=["FDA"],
                                   question=question)
            if answer is not None:
                inquiry_answer(actor=answerer, inquiry=inquiry, text=answer)
            if days_late is not None:
                # The demo shows three weeks of silence: the request is dated back (a service never
                # accepts a due date in the past).
                today = timezone.now()
                Inquiry.objects.filter(pk=inquiry.pk).update(
                    created_at=today - timedelta(days=14 + days_late), due=(today - timedelta(days=days_late)).date(),
                )
        state = "overdue" if days_late else ("answered" if answer else "open")
        say(f"HC → FDA on {alert.reference}: {state}")
