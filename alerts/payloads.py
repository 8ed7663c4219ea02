"""The content as it travels: alerts, revisions, reports and signals rendered to plain JSON values.

The one renderer of these objects. Pure functions over rows the caller has already fetched with
their related rows (see `alerts.selectors.alerts_with_details`, `reports_with_details`,
`signals_with_details`): they run no query of their own beyond those prefetches. The REST API's
views answer with them; events, webhooks, revisions, audit entries, and anything that signs or
converts an alert (provenance, CAP/FHIR) render through them too, so the network delivers exactly
what the API shows. What depends on the reader is an explicit parameter (`language`), or an
annotation of the viewer's selector (a signal's `viewer_status`). The API's serializers only type
input and describe these shapes for the schema; tests/alerts/test_payload_shapes.py holds each
payload to the schema's description.

Values are JSON-ready: ids and dates are strings, datetimes ISO 8601 in UTC ending in `Z`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

from django.utils import timezone

from alerts.choices import ReviewTrigger
from alerts.languages import translation_for
from alerts.models import (
    Alert,
    AlertRevision,
    AlertTool,
    AlertTranslation,
    Authorization,
    RelianceReview,
    Report,
    ReportMetric,
    Signal,
)
from alerts.models.registry import reference_lapsed
from exchange.json_types import JSONObject


def _when(value: datetime | None) -> str | None:
    """A datetime as the API writes it: ISO 8601 in the current time zone (UTC), `+00:00` as `Z`."""
    if value is None:
        return None
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _id(value: object) -> str | None:
    return None if value is None else str(value)


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def affected_tool_payload(row: AlertTool) -> JSONObject:
    """One affected tool of an alert: the versions as written, and the registered versions they match."""
    return {
        "tool": str(row.tool_id), "name": row.tool.name, "manufacturer": row.tool.manufacturer,
        "versions": row.versions, "fixed_in": row.fixed_in or None,
        "affected_versions": list(row.affected_versions or []), "versions_note": row.versions_note,
    }


def alert_payload(alert: Alert, *, language: str | None = None) -> JSONObject:
    """The alert as `GET /api/v1/alerts/{id}/` shows it.

    `language`: the reader's language when it asked for one (`?lang=`, else Accept-Language); the
    answer then adds `localized`, the translation that reader is shown, or null. Events, webhooks
    and signatures render without it.
    """
    body: JSONObject = {
        "id": str(alert.pk),
        "reference": alert.reference,
        "status": alert.status,
        "revision": alert.revision,
        "publisher": alert.publisher.code,
        "language": alert.language,
        "title": alert.title,
        "summary": alert.summary,
        "description": alert.description,
        "alert_type": alert.alert_type,
        "severity": alert.severity,
        "affected_tools": [affected_tool_payload(row) for row in alert.affected_tool_rows.all()],
        "affected_jurisdictions": sorted(row.jurisdiction for row in alert.jurisdiction_rows.all()),
        "hazard": alert.hazard,
        "harm": alert.harm,
        "recommended_actions": alert.recommended_actions,
        "imdrf_codes": alert.imdrf_codes,
        "publisher_reference": alert.publisher_reference,
        "distribution": alert.distribution,
        "recipients": sorted(row.member.code for row in alert.recipient_rows.all()),
        "resolution": alert.resolution,
        "withdrawal_reason": alert.withdrawal_reason,
        "created_at": _when(alert.created_at),
        "published_at": _when(alert.published_at),
        "updated_at": _when(alert.updated_at),
        "closed_at": _when(alert.closed_at),
        "withdrawn_at": _when(alert.withdrawn_at),
        "translations": [translation_payload(row) for row in alert.translations.all()],
    }
    if language is not None:
        chosen = translation_for(alert.translations.all(), language=language, original=alert.language)
        body["localized"] = None if chosen is None else translation_payload(chosen)
    return body


def translation_signed_payload(translation: AlertTranslation) -> JSONObject:
    """A translation as read without `signature` and `outdated`: what the translating member signs (SPEC §10.5)."""
    return {
        "alert": str(translation.alert_id),
        "language": translation.language,
        "title": translation.title,
        "summary": translation.summary,
        "recommended_actions": translation.recommended_actions,
        "description": translation.description,
        "source": translation.source,
        "member": translation.member.code,
        "revision": translation.revision,
        "created_at": _when(translation.created_at),
    }


def translation_payload(translation: AlertTranslation) -> JSONObject:
    """A translation as `GET /api/v1/alerts/{id}/translations/` and the alert's `translations` show it."""
    return {**translation_signed_payload(translation), "outdated": translation.outdated,
            "signature": translation.signature}


def revision_signed_payload(revision: AlertRevision) -> JSONObject:
    """The revision's JSON without `signature`: what its publisher signs (SPEC §8).

    `content` is the alert exactly as it was rendered (by `alert_payload`) when the revision was made.
    This shape is fixed: a field added here would change what every earlier revision renders to and
    break its signature.
    """
    return {
        "alert": str(revision.alert_id),
        "revision": revision.number,
        "change_summary": revision.change_summary,
        "material": revision.material,
        "changed_fields": revision.changed_fields,
        "created_at": _when(revision.created_at),
        "content": revision.content,
    }


def revision_payload(revision: AlertRevision) -> JSONObject:
    """One published revision as `GET /api/v1/alerts/{id}/revisions/{n}/` shows it, with its signature."""
    return {**revision_signed_payload(revision), "signature": revision.signature}


def metric_payload(row: ReportMetric) -> JSONObject:
    return {
        "metric": row.metric,
        "value": _float(row.value),
        "ci_low": _float(row.ci_low),
        "ci_high": _float(row.ci_high),
        "ci_method": row.ci_method,
        "numerator": row.numerator,
        "denominator": row.denominator,
    }


def _report_signature(signature: JSONObject | None) -> JSONObject | None:
    """A report's signature with `kid` first, as the API has always written it (the stored JSON orders keys otherwise)."""
    return None if signature is None else {"kid": signature["kid"], "jws": signature["jws"]}


def report_payload(report: Report) -> JSONObject:
    """The performance report as `GET /api/v1/reports/{id}/` shows it."""
    return {
        "id": str(report.pk),
        "status": report.status,
        "publisher": report.publisher.code,
        "tool": str(report.tool_id),
        "tool_name": report.tool.name,
        "tool_version": report.tool_version,
        "period_start": _day(report.period_start),
        "period_end": _day(report.period_end),
        "setting": report.setting,
        "country": report.country,
        "population": report.population,
        "sample_size": report.sample_size,
        "method": report.method,
        "data_source": report.data_source,
        "metrics": [metric_payload(row) for row in report.metrics.all()],
        "subgroups": [
            {"label": group.label, "dimension": group.dimension,
             "metrics": [metric_payload(row) for row in group.metrics.all()]}
            for group in report.subgroups.all()
        ],
        "distribution": report.distribution,
        "recipients": sorted(row.member.code for row in report.recipient_rows.all()),
        "supersedes": _id(report.supersedes_id),
        "supersede_reason": report.supersede_reason,
        "created_at": _when(report.created_at),
        "updated_at": _when(report.updated_at),
        "published_at": _when(report.published_at),
        # SPEC §8: the report as published (everything above, then), and the publisher's signature of it.
        "signed_content": report.signed_content,
        "signature": _report_signature(report.signature),
    }


def signal_payload(signal: Signal, report_ids: Iterable[uuid.UUID] | None = None) -> JSONObject:
    """The signal as `GET /api/v1/signals/{id}/` shows it (its reports prefetched, or their ids given)."""
    if report_ids is None:
        report_ids = (report.pk for report in signal.reports.all())
    return {
        "id": str(signal.pk),
        "tool": str(signal.tool_id),
        "tool_name": signal.tool.name,
        "metric": signal.metric,
        "kind": signal.kind,
        "subgroup": signal.subgroup,
        "version": signal.version,
        "period": signal.period,
        # The viewer's view (`signals_visible_to` annotates it): open until its own evidence no longer
        # supports the signal. Without a viewer (events), the signal's own state.
        "status": signal.shown_status,
        "reference_value": _float(signal.reference_value),
        "reference_source": signal.reference_source,
        "pooled_value": _float(signal.pooled_value),
        "ci_low": _float(signal.ci_low),
        "ci_high": _float(signal.ci_high),
        "sample": signal.sample,
        "margin": _float(signal.margin),
        "reports": sorted(str(pk) for pk in report_ids),
        "created_at": _when(signal.created_at),
        "updated_at": _when(signal.updated_at),
        "closed_at": _when(signal.shown_closed_at),
    }


# --- reliance (SPEC §10.1, Appendix B) -------------------------------------------------------------


def authorization_member_code(authorization: Authorization) -> str | None:
    """The member whose decision the authorisation is: the one that recorded it."""
    member = authorization.recorded_by
    return None if member is None else member.code


def authorization_payload(authorization: Authorization) -> JSONObject:
    """An authorisation as read (Appendix A and B); `relies_on` and `recorded_by` pre-fetched."""
    reference = authorization.relies_on
    body: JSONObject = {
        "id": str(authorization.pk),
        "tool": str(authorization.tool_id),
        "member": authorization_member_code(authorization),
        "jurisdiction": authorization.jurisdiction,
        "reference": authorization.reference,
        "status": authorization.status,
        "date": _day(authorization.date),
        "baseline": [{"metric": b.metric, "value": _float(b.value)} for b in authorization.baseline.all()],
        "route": authorization.route,
        "relies_on": None if reference is None else {
            "id": str(reference.pk),
            "member": authorization_member_code(reference),
            "jurisdiction": reference.jurisdiction,
            "reference": reference.reference,
            "status": reference.status,
        },
        "validity": authorization.validity,
        "versions": authorization.versions,
        "reference_lapsed": reference_lapsed(authorization),
        "recorded_by": authorization_member_code(authorization),
        "created_at": _when(authorization.created_at),
        "updated_at": _when(authorization.updated_at),
    }
    return body


def review_trigger(review: RelianceReview) -> JSONObject:
    if review.trigger_kind == ReviewTrigger.ALERT:
        return {"kind": "alert", "alert": _id(review.alert_id), "revision": review.alert_revision}
    return {"kind": "authorisation_change", "from": review.trigger_from, "to": review.trigger_to}


def review_payload(review: RelianceReview, *, now: datetime | None = None) -> JSONObject:
    """A reliance review as read (Appendix B); its authorisations and members pre-fetched."""
    relying, reference = review.authorization, review.reference_authorization
    return {
        "id": str(review.pk),
        "authorization": {
            "id": str(relying.pk), "tool": str(relying.tool_id), "jurisdiction": relying.jurisdiction,
            "reference": relying.reference, "status": relying.status,
        },
        "relying_member": review.relying_member.code,
        "reference_member": review.reference_member.code,
        "reference_authorization": {
            "id": str(reference.pk), "jurisdiction": reference.jurisdiction, "reference": reference.reference,
            "status": reference.status,
        },
        "trigger": review_trigger(review),
        "opened_at": _when(review.opened_at),
        "deadline": _when(review.deadline),
        "overdue": review.is_overdue(now),
        "status": review.status,
        "outcome": review.outcome,
        "rationale": review.rationale or None,
        "versions": review.versions or None,
        "comment": review.comment or None,
        "decided_by": review.decided_by_email or None,
        "decided_at": _when(review.decided_at),
    }
