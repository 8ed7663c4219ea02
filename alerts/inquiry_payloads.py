"""Information requests as they travel (SPEC Appendix B): rendered once, for the API, events and
signatures alike. Pure functions over rows fetched with `inquiry_selectors.inquiries_with_details`.
"""

from __future__ import annotations

from datetime import date

from alerts.models import Inquiry, InquiryAnswer
from alerts.models.inquiries import today_utc
from alerts.payloads import _day, _when
from exchange.json_types import JSONObject


def answer_signed_payload(answer: InquiryAnswer) -> JSONObject:
    """What the answering member signs: the answer as read, without `signature` (SPEC §8)."""
    return {
        "id": str(answer.pk),
        "request": str(answer.inquiry_id),
        "member": answer.member.code,
        "text": answer.text,
        "at": _when(answer.at),
    }


def answer_payload(answer: InquiryAnswer) -> JSONObject:
    return {**answer_signed_payload(answer), "signature": answer.signature or None}


def inquiry_payload(inquiry: Inquiry, *, today: date | None = None) -> JSONObject:
    today = today or today_utc()
    addressees = list(inquiry.addressees.all())
    for row in addressees:
        row.inquiry = inquiry  # known already: "overdue" reads its due date and status without a query
    return {
        "id": str(inquiry.pk),
        "subject": {"kind": inquiry.subject_kind, "id": str(inquiry.subject_id)},
        "asker": inquiry.asker.code,
        "to": [row.member.code for row in addressees],
        "question": inquiry.question,
        "due": _day(inquiry.due),
        "confidentiality": inquiry.confidentiality,
        "status": inquiry.status,
        "overdue": [row.member.code for row in addressees if row.is_overdue(today)],
        "answers": [answer_payload(answer) for answer in inquiry.answers.all()],
        "messages": [
            {"member": message.member.code, "text": message.text, "at": _when(message.at)}
            for message in inquiry.messages.all()
        ],
        "created_at": _when(inquiry.created_at),
        "closed_at": _when(inquiry.closed_at),
        "close_note": inquiry.close_note,
    }
