"""Export an alert the caller may already see: the entry points the API and public views call."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from alerts.interop.cap import cap_message
from alerts.interop.common import Links
from alerts.interop.fhir import fhir_bundle
from alerts.models import Alert
from alerts.selectors import alert_audience_members, alerts_for_export
from alerts.services.terminology import imdrf_terms_for


def _terms(alert: Alert) -> dict[str, str]:
    return {code: term.term for code, term in imdrf_terms_for(list(alert.imdrf_codes or [])).items()}


def alert_cap_export(*, alert: Alert, site: str) -> bytes:
    fresh = alerts_for_export(Alert.objects.filter(pk=alert.pk)).get()
    return cap_message(fresh, links=Links(site=site), imdrf_terms=_terms(fresh))


def alert_fhir_export(*, alert: Alert, site: str) -> dict[str, Any]:
    fresh = alerts_for_export(Alert.objects.filter(pk=alert.pk)).get()
    return fhir_bundle(fresh, links=Links(site=site), audience=list(alert_audience_members(fresh)),
                       imdrf_terms=_terms(fresh), now=timezone.now())
