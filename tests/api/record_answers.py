"""Records what the API answers about alerts, revisions, translations, reports and signals.

Not part of the suite (the file name does not start with `test_`): run it by name to write every
answer to a JSON file, before and after a change to how the API renders these objects, and compare:

    SAX_ANSWERS_OUT=var/answers-before.json PYTHONPATH=. pytest tests/api/record_answers.py -p no:cacheprovider -q
    ... change the code ...
    SAX_ANSWERS_OUT=var/answers-after.json PYTHONPATH=. pytest tests/api/record_answers.py -p no:cacheprovider -q
    cmp var/answers-before.json var/answers-after.json

The network is the demo's (`seed_demo`: alerts in every state, amendments, translations, versions,
reports with subgroups, signals, reliance reviews) plus a draft, a withdrawn alert, a restricted
report, a correction and a draft report. Each GET is made as the publisher, as another member in the
audience and as a member outside it, with and without `?lang=` / Accept-Language; the answers of the
writes that render these objects (draft, edit, publish, amend, close, withdraw, report draft and
publish, draft alert from a signal) are recorded too. The schema (/api/schema/) is written beside.

Normalised so that two runs compare byte for byte: ids, alert references and key ids become
numbered placeholders in order of first appearance, datetimes `<datetime>`, signatures `<jws>`,
pagination cursors `<cursor>`; a signal's `reports` (sorted by random id) are sorted by placeholder.
"""

from __future__ import annotations

import json
import os
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from alerts.models import Alert, AlertRevision, Report, Signal
from alerts.services.alerts import alert_draft_create, alert_withdraw
from alerts.services.reports import report_draft_create, report_publish
from exchange.models import Member, User
from tests.factories import token_make
from tests.helpers import ApiCaller

OUT = Path(os.environ.get("SAX_ANSWERS_OUT", "var/api-answers.json"))
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
REFERENCE = re.compile(r"SAX-\d{4}-[0-9A-Z]{6}")
DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?")
CURSOR = re.compile(r"cursor=[^&\"]+")


class Normaliser:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def name(self, kind: str, value: str) -> str:
        return self.names.setdefault(value, f"<{kind}:{len(self.names) + 1}>")

    def text(self, value: str) -> str:
        value = UUID.sub(lambda m: self.name("id", m.group(0)), value)
        value = REFERENCE.sub(lambda m: self.name("ref", m.group(0)), value)
        value = DATETIME.sub("<datetime>", value)
        return CURSOR.sub("cursor=<cursor>", value)

    def __call__(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self(v, k) for k, v in value.items()}
        if isinstance(value, list):
            items = [self(v) for v in value]
            # A signal's `reports` are sorted by id, and ids are random: sort their placeholders instead.
            return sorted(items, key=lambda v: (len(v), v)) if key == "reports" and all(
                isinstance(v, str) for v in items) else items
        if isinstance(value, str):
            if key == "jws":
                return "<jws>"
            if key == "kid":
                return self.name("kid", value)
            return self.text(value)
        return value


def stable(body: Any) -> Any:
    """Signals evaluated in one pass share `updated_at`, and the list breaks the tie by id (random): sort them."""
    results = body.get("results") if isinstance(body, dict) else None
    if results and all("kind" in row and "pooled_value" in row for row in results):
        fields = ("updated_at", "tool_name", "metric", "kind", "subgroup", "version", "period")
        body["results"] = sorted(results, key=lambda row: tuple(str(row[f]) for f in fields))
    return body


def caller(email: str) -> ApiCaller:
    user = User.objects.get(email=email)
    return ApiCaller(user=user, token=token_make(user=user).value)


def extras() -> None:
    """What the demo lacks: a draft, a withdrawn alert, a restricted report, a correction, a draft report."""
    mhra = User.objects.get(email="publisher@mhra.example")
    fda = User.objects.get(email="publisher@fda.example")
    alert = Alert.objects.filter(publisher__code="MHRA").exclude(status="draft").order_by("created_at").first()
    assert alert is not None
    tool_id = alert.affected_tool_rows.first().tool_id  # type: ignore[union-attr]
    data = {"title": "Recorded draft", "alert_type": "software_defect", "severity": "low",
            "affected_tools": [{"tool": tool_id, "versions": ""}], "affected_jurisdictions": ["GB"],
            "distribution": "restricted", "recipients": ["FDA"]}
    alert_draft_create(actor=mhra, data=dict(data, title="Recorded draft, never published"))
    from alerts.services.alerts import alert_publish

    withdrawn = alert_publish(actor=mhra, alert=alert_draft_create(actor=mhra, data=dict(data, title="Withdrawn")))
    alert_withdraw(actor=mhra, alert=withdrawn, reason="Issued in error.")
    base = Report.objects.filter(publisher__code="FDA", status="published").order_by("created_at").first()
    assert base is not None
    report = {"tool": base.tool_id, "tool_version": base.tool_version, "period_start": base.period_start,
              "period_end": base.period_end, "setting": "Recorded", "country": "US", "population": "",
              "sample_size": 500, "method": "", "data_source": "",
              "metrics": [{"metric": "sensitivity", "value": 0.8, "ci_low": None, "ci_high": None,
                           "numerator": 400, "denominator": 500}],
              "subgroups": [{"label": "age 70+", "dimension": "age band", "metrics": [
                  {"metric": "auroc", "value": 0.7, "ci_low": 0.6, "ci_high": 0.8, "numerator": None,
                   "denominator": None}]}],
              "distribution": "restricted", "recipients": ["HC"], "supersedes": None, "supersede_reason": ""}
    fda_member = Member.objects.get(code="FDA")
    report_publish(actor=fda, member=fda_member, report=report_draft_create(actor=fda, member=fda_member, data=report))
    report_draft_create(actor=fda, member=fda_member, data=dict(report, distribution="network", recipients=[]))
    report_publish(actor=fda, member=fda_member, report=report_draft_create(
        actor=fda, member=fda_member, data=dict(report, supersedes=base.pk, supersede_reason="Recounted.")))


def reads(record: Any, who: str, api: ApiCaller) -> None:
    for lang in ({}, {"lang": "fr"}, {"lang": "ja"}):
        record(who, api.get("/api/v1/alerts/", {"limit": 100, **lang}))
    record(who, api.get("/api/v1/alerts/", {"limit": 3}))
    record(who, api.get("/api/v1/alerts/", {"limit": 100}, HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9"))
    record(who, api.get("/api/v1/alerts/", {"limit": 100, "search": "sensitivity"}))
    record(who, api.get("/api/v1/alerts/", {"lang": "x_bad"}))
    for alert in Alert.objects.order_by("created_at"):
        base = f"/api/v1/alerts/{alert.pk}/"
        record(who, api.get(base))
        record(who, api.get(base, {"lang": "fr"}))
        record(who, api.get(base, HTTP_ACCEPT_LANGUAGE="ja"))
        if alert.reference:
            record(who, api.get(f"/api/v1/alerts/{alert.reference}/"))
        record(who, api.get(f"{base}translations/"))
        record(who, api.get(f"{base}revisions/"))
        for number in AlertRevision.objects.filter(alert=alert).values_list("number", flat=True):
            record(who, api.get(f"{base}revisions/{number}/"))
    record(who, api.get("/api/v1/reports/", {"limit": 100}))
    record(who, api.get("/api/v1/reports/", {"limit": 2}))
    record(who, api.get("/api/v1/signals/", {"limit": 100}))  # page order among equal `updated_at`: see `stable`
    for report in Report.objects.order_by("created_at"):
        record(who, api.get(f"/api/v1/reports/{report.pk}/"))
    for signal in Signal.objects.order_by("created_at", "metric", "kind", "subgroup", "version", "period"):
        record(who, api.get(f"/api/v1/signals/{signal.pk}/"))
    record(who, api.get("/api/v1/inbox/", {"limit": 100}))
    record(who, api.get("/api/v1/reliance/reviews/", {"limit": 100}))


def writes(record: Any) -> None:
    """The answers of writes that render an alert or a report, in one fixed sequence."""
    api = caller("publisher@mhra.example")
    tool_id = str(Alert.objects.filter(publisher__code="MHRA").first().affected_tool_rows.first().tool_id)  # type: ignore[union-attr]
    body = {"title": "Recorded write", "alert_type": "software_defect", "severity": "high",
            "affected_tools": [{"tool": tool_id, "versions": ""}], "affected_jurisdictions": ["GB", "US"],
            "recommended_actions": "Check.", "imdrf_codes": ["A0901"]}
    created = api.post("/api/v1/alerts/?lang=fr", body)
    record("MHRA", created)
    url = f"/api/v1/alerts/{created.json()['id']}/"
    record("MHRA", patched := api.patch(url, {"summary": "Edited."}, HTTP_IF_MATCH=created["ETag"]))
    record("MHRA", published := api.post(f"{url}publish/"))
    record("MHRA", amended := api.post(f"{url}amend/", {"change_summary": "Severity.", "severity": "critical",
                                                        "material": True}, HTTP_IF_MATCH=published["ETag"]))
    assert patched.status_code == 200, patched.json()
    assert amended.status_code == 200, amended.json()
    record("MHRA", api.post(f"{url}close/?lang=ja", {"resolution": "Fixed."}))
    other = api.post("/api/v1/alerts/", dict(body, title="Recorded withdrawal"))
    other_url = f"/api/v1/alerts/{other.json()['id']}/"
    api.post(f"{other_url}publish/")
    record("MHRA", api.post(f"{other_url}translations/", {"language": "de", "title": "Zurückgezogen"}))
    record("MHRA", api.post(f"{other_url}withdraw/", {"reason": "In error."}))

    report = Report.objects.filter(publisher__code="MHRA", status="published").order_by("created_at").first()
    assert report is not None
    draft = api.post("/api/v1/reports/", {
        "tool": str(report.tool_id), "tool_version": report.tool_version, "period_start": "2026-01-01",
        "period_end": "2026-06-30", "setting": "Recorded write", "country": "GB", "sample_size": 100,
        "metrics": [{"metric": "sensitivity", "value": 0.5, "numerator": 50, "denominator": 100}],
        "subgroups": [{"label": "men", "dimension": "sex", "metrics": [{"metric": "specificity", "value": 0.9}]}],
    })
    record("MHRA", draft)
    record("MHRA", api.post(f"/api/v1/reports/{draft.json()['id']}/publish/"))
    signal = Signal.objects.filter(views__member__code="MHRA").order_by("created_at", "metric", "kind").first()
    if signal is not None:
        record("MHRA", api.post(f"/api/v1/signals/{signal.pk}/draft-alert/"))


@pytest.mark.django_db
def test_record_the_api_answers(settings: Any) -> None:
    settings.API_RATE_LIMIT = None
    call_command("seed_demo", "--no-tokens", stdout=StringIO())
    extras()
    normalise = Normaliser()
    answers: list[dict[str, Any]] = []

    def record(who: str, response: Any) -> None:
        request = response.wsgi_request
        body = stable(response.json()) if response.content else None
        answers.append(normalise({
            "as": who, "method": request.method, "path": request.get_full_path(), "status": response.status_code,
            "accept_language": request.META.get("HTTP_ACCEPT_LANGUAGE"), "body": body,
        }))

    for who, email in (("MHRA", "publisher@mhra.example"), ("FDA", "viewer@fda.example"),
                       ("HC", "assessor@hc.example"), ("PMDA", "viewer@pmda.example")):
        reads(record, who, caller(email))
    writes(record)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(answers, indent=1, ensure_ascii=False, sort_keys=False) + "\n")
    schema = ApiCaller(user=None, token=None).get("/api/schema/", {"format": "json"})
    OUT.with_suffix(".schema.json").write_text(schema.content.decode() + "\n")
    assert len(answers) > 100
