"""Real-world performance reports: validate, draft, publish (immutable after), supersede, acknowledge."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.choices import PROPORTION_METRICS, Distribution, ReportStatus, metric_range
from alerts.jurisdictions import jurisdiction_problem
from alerts.models import (
    Acknowledgement,
    Report,
    ReportMetric,
    ReportRecipient,
    ReportSubgroup,
    Tool,
)
from alerts.payloads import report_payload
from alerts.selectors import (
    report_audience,
    report_audience_members,
    reports_with_details,
    tools_authorised_in,
)
from alerts.services.acknowledgements import ack_render, answer_apply
from alerts.services.distribution import recipients_resolve
from alerts.services.pooled import pooled_on_publish
from alerts.services.provenance import report_sign
from alerts.services.search import report_search_refresh
from alerts.services.versions import report_version_check
from alerts.stats import wilson_interval
from exchange.choices import AudienceKind
from exchange.errors import Conflict, PermissionRefused, ValidationFailed
from exchange.json_types import JSONObject
from exchange.models import Member, User
from exchange.queueing import task_named
from exchange.services.audit import audit_record
from exchange.services.chain import audited_write
from exchange.services.events import event_record

VALUE_TOLERANCE = 0.005  # how far `value` may differ from numerator/denominator (rounding)


class ReportInvalid(ValidationFailed):
    pass


def _fail(path: str, message: str) -> ReportInvalid:
    return ReportInvalid(f"{path}: {message}", errors={path: [message]})


def _check_bounds(path: str, metric: str, numbers: dict[str, float | None]) -> None:
    """Each given number finite and within the metric's range."""
    lowest, highest = metric_range(metric)
    for name, number in numbers.items():
        if number is None:
            continue
        if not math.isfinite(number):
            raise _fail(f"{path}.{name}", f"must be a finite number, not {number}")
        if not lowest <= number <= highest:
            kind = "a proportion" if metric in PROPORTION_METRICS else "bounded"
            raise _fail(f"{path}.{name}", f"{metric} is {kind}: {number} is outside [{lowest:g}, {highest:g}]")


def _check_interval(path: str, value: float, low: float | None, high: float | None) -> None:
    if (low is None) != (high is None):
        raise _fail(f"{path}.ci_low", "give both ci_low and ci_high, or neither")
    if low is not None and high is not None and not low <= value <= high:
        raise _fail(f"{path}.value", f"the interval [{low}, {high}] does not contain the value {value}")


def _check_counts(path: str, metric: str, value: float, num: int | None, den: int | None, sample_size: int) -> None:
    """Numerator and denominator: both or neither, consistent with the value and the sample."""
    if (num is None) != (den is None):
        raise _fail(f"{path}.numerator", "give both numerator and denominator, or neither")
    if num is None or den is None:
        return
    if den <= 0:
        raise _fail(f"{path}.denominator", "must be positive")
    if num > den:
        raise _fail(f"{path}.numerator", f"numerator {num} exceeds denominator {den}")
    if den > sample_size:
        raise _fail(f"{path}.denominator", f"denominator {den} exceeds the report's sample_size {sample_size}")
    if metric not in PROPORTION_METRICS:
        raise _fail(f"{path}.numerator", f"{metric} is not a proportion: it has no numerator/denominator")
    if abs(num / den - value) > VALUE_TOLERANCE:
        raise _fail(f"{path}.value", f"value {value} does not match {num}/{den} = {num / den:.4f}")


def _check_metric(path: str, item: JSONObject, sample_size: int) -> JSONObject:
    metric = item["metric"]
    value = float(item["value"])
    low, high = item.get("ci_low"), item.get("ci_high")
    if not math.isfinite(value):
        raise _fail(f"{path}.value", f"must be a finite number, not {value}")
    num, den = item.get("numerator"), item.get("denominator")
    _check_bounds(path, metric, {"value": value, "ci_low": low, "ci_high": high})
    _check_interval(path, value, low, high)
    _check_counts(path, metric, value, num, den, sample_size)
    ci_method = "reported" if low is not None else ""
    if low is None and num is not None and den is not None:
        low, high = wilson_interval(num, den)
        ci_method = "wilson"
    return {"metric": metric, "value": value, "ci_low": low, "ci_high": high, "numerator": num,
            "denominator": den, "ci_method": ci_method}


T = TypeVar("T")


class _Problems:
    """Every problem of a report at once (one round trip for the person filling the form)."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def check(self, step: Callable[[], T]) -> T | None:
        try:
            return step()
        except ReportInvalid as exc:
            for path, messages in (exc.errors or {}).items():
                self.errors.setdefault(path, []).extend(messages)
            return None

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def raise_any(self) -> None:
        if self.errors:
            detail = "; ".join(f"{path}: {messages[0]}" for path, messages in self.errors.items())
            raise ReportInvalid(detail, errors=self.errors)


def _check_metrics(problems: _Problems, path: str, items: list[JSONObject], sample: int) -> list[JSONObject]:
    seen: set[str] = set()
    cleaned = []
    for index, item in enumerate(items):
        if item["metric"] in seen:
            problems.add(f"{path}[{index}].metric", f"{item['metric']} is listed twice")
        seen.add(item["metric"])
        checked = problems.check(partial(_check_metric, f"{path}[{index}]", item, sample))
        if checked is not None:
            cleaned.append(checked)
    return cleaned


def report_validate(data: JSONObject) -> JSONObject:
    """Domain rules beyond field types, every problem at once; returns the cleaned metrics and subgroups."""
    problems = _Problems()
    if data["period_end"] <= data["period_start"]:
        problems.add("period_end", "the period must end after it starts")
    problem = jurisdiction_problem(data["country"])
    if problem is not None:
        problems.add("country", problem)
    else:
        data["country"] = data["country"].strip().upper()
    sample = data["sample_size"]
    metrics = data.get("metrics") or []
    if not metrics:
        problems.add("metrics", "a report measures at least one metric")
    cleaned = _check_metrics(problems, "metrics", metrics, sample)
    subgroups = []
    labels: set[str] = set()
    for g_index, group in enumerate(data.get("subgroups") or []):
        label = group["label"].strip()
        if not label or label.lower() in labels:
            problems.add(f"subgroups[{g_index}].label", "labels must be present and distinct")
        labels.add(label.lower())
        group_metrics = _check_metrics(problems, f"subgroups[{g_index}].metrics", group.get("metrics") or [], sample)
        if not group.get("metrics"):
            problems.add(f"subgroups[{g_index}].metrics", "a subgroup measures at least one metric")
        subgroups.append({"label": label, "dimension": (group.get("dimension") or "").strip(),
                          "metrics": group_metrics})
    problems.raise_any()
    return {"metrics": cleaned, "subgroups": subgroups}


def report_render(report: Report) -> JSONObject:
    """The report as the REST API shows it, re-read with its rows."""
    return report_payload(reports_with_details(Report.objects.filter(pk=report.pk)).get())


def _write_metrics(report: Report, subgroup: ReportSubgroup | None, metrics: list[JSONObject]) -> None:
    ReportMetric.objects.bulk_create([ReportMetric(report=report, subgroup=subgroup, **m) for m in metrics])


@audited_write
def report_draft_create(*, actor: User | None, member: Member, data: JSONObject) -> Report:
    cleaned = report_validate(data)
    tool = Tool.objects.filter(pk=data["tool"]).first()
    if tool is None:
        raise _fail("tool", f"no tool with id {data['tool']} in the registry")
    tool_version = report_version_check(tool, data["tool_version"])
    distribution = data.get("distribution") or Distribution.NETWORK
    recipients = recipients_resolve(codes=data.get("recipients") or [], distribution=distribution, publisher=member,
                                    noun="report")
    supersedes = None
    if data.get("supersedes"):
        supersedes = Report.objects.filter(pk=data["supersedes"], publisher=member).first()
        if supersedes is None or supersedes.status != ReportStatus.PUBLISHED:
            raise _fail("supersedes", "must name a published report of your own member")
        if supersedes.tool_id != tool.pk:
            raise _fail("supersedes", "the superseded report is about another tool")
        if supersedes.superseded_by.exists():
            raise _fail("supersedes", "that report is already superseded")
        if not (data.get("supersede_reason") or "").strip():
            raise _fail("supersede_reason", "say why the earlier report is corrected")
    now = timezone.now()
    report = Report.objects.create(
        publisher=member, created_by=actor, tool=tool, tool_version=tool_version,
        period_start=data["period_start"], period_end=data["period_end"], setting=data["setting"].strip(),
        country=data["country"], population=(data.get("population") or "").strip(), sample_size=data["sample_size"],
        method=(data.get("method") or "").strip(), data_source=(data.get("data_source") or "").strip(),
        distribution=distribution, supersedes=supersedes,
        supersede_reason=(data.get("supersede_reason") or "").strip(), created_at=now, updated_at=now,
    )
    report_search_refresh(report=report)
    ReportRecipient.objects.bulk_create([ReportRecipient(report=report, member=m) for m in recipients])
    _write_metrics(report, None, cleaned["metrics"])
    for group in cleaned["subgroups"]:
        subgroup = ReportSubgroup.objects.create(report=report, label=group["label"], dimension=group["dimension"])
        _write_metrics(report, subgroup, group["metrics"])
    audit_record(actor=actor, action="report.drafted", object_type="report", object_id=report.pk,
                 after=report_render(report), member_code=member.code)
    return report


def _require_publisher(actor: User | None, member: Member, report: Report, verb: str) -> None:
    if report.publisher_id != member.pk:
        raise PermissionRefused(f"Only the publishing member ({report.publisher.code}) may {verb} this report.")


@audited_write
def report_draft_delete(*, actor: User, report: Report) -> None:
    report = Report.objects.select_for_update(of=("self",)).select_related("publisher").get(pk=report.pk)
    assert actor.member is not None
    _require_publisher(actor, actor.member, report, "delete")
    if report.status != ReportStatus.DRAFT:
        raise Conflict("A published report is immutable: publish a correction that supersedes it instead.")
    report_id = report.pk
    report.delete()
    audit_record(actor=actor, action="report.draft_deleted", object_type="report", object_id=report_id)


def report_facets(report: Report) -> JSONObject:
    tool = report.tool
    authorised = tools_authorised_in([tool.pk])
    return {
        "alert_type": None,
        "severity": None,
        "tools": [str(tool.pk)],
        "manufacturers": [tool.manufacturer.lower()],
        "clinical_areas": [tool.clinical_area],
        "jurisdictions": [report.country],
        "authorised_in": authorised,
        "publisher": report.publisher.code,
    }


@audited_write
def report_publish(*, actor: User | None, member: Member, report: Report) -> Report:
    report = Report.objects.select_for_update(of=("self",)).select_related("publisher", "tool").get(pk=report.pk)
    _require_publisher(actor, member, report, "publish")
    if report.status != ReportStatus.DRAFT:
        raise Conflict("This report is already published; a published report is immutable.")
    if report.supersedes_id and Report.objects.filter(supersedes_id=report.supersedes_id,
                                                      status=ReportStatus.PUBLISHED).exists():
        raise Conflict("The report this one supersedes has already been superseded by another published report.")
    now = timezone.now()
    report.status = ReportStatus.PUBLISHED
    report.published_at = now
    report.updated_at = now
    try:
        with transaction.atomic():
            report.save(update_fields=["status", "published_at", "updated_at"])
    except IntegrityError:
        raise Conflict(
            "The report this one supersedes has already been superseded by another published report."
        ) from None
    pooled_on_publish(report)  # the tool's pooled sums, in this transaction
    rendered = report_render(report)
    report_sign(report, rendered=rendered)  # SPEC §8: signed as published, in this transaction
    report.save(update_fields=["signed_content", "signature"])
    payload = {**rendered, "signed_content": report.signed_content, "signature": report.signature}
    audit_record(actor=actor, action="report.published", object_type="report", object_id=report.pk,
                 before={"status": ReportStatus.DRAFT}, after={"status": ReportStatus.PUBLISHED},
                 member_code=member.code)
    kind, codes = report_audience(report)
    event_record(
        type="report.published", audience_kind=kind, audience_codes=codes, object_type="report",
        object_id=report.pk, publisher_code=report.publisher.code, facets=report_facets(report), payload=payload,
    )
    _request_report_acknowledgements(report)
    tool_id = str(report.tool_id)
    task_named("alerts.signals_evaluate").delay_on_commit(tool_id)  # the periodic evaluation catches up after a broker outage
    return report


def _request_report_acknowledgements(report: Report) -> None:
    """From audience members in whose jurisdiction the tool is authorised; reports carry no deadline."""
    jurisdictions = tools_authorised_in([report.tool_id])
    members = report_audience_members(report).exclude(pk=report.publisher_id).filter(country__in=jurisdictions)
    now = timezone.now()
    Acknowledgement.objects.bulk_create(
        [Acknowledgement(report=report, member=m, revision=1, requested=True, requested_at=now) for m in members],
        ignore_conflicts=True,
    )



@audited_write
def report_acknowledge(
    *, actor: User, report: Report, state: str, comment: str = "", decision: str | None = None,
    rationale: str | None = None,
) -> Acknowledgement:
    member = actor.member
    if member is None:
        raise PermissionRefused("Acknowledgements are given by member users.")
    if report.status != ReportStatus.PUBLISHED:
        raise Conflict("A draft report cannot be acknowledged.")
    if report.publisher_id == member.pk:
        raise Conflict("The publishing member does not acknowledge its own report.")
    ack, changed = answer_apply(
        subject={"report": report}, revision=1, actor=actor, member=member, state=state, comment=comment,
        decision=decision, rationale=rationale,
    )
    if changed:
        fresh = Acknowledgement.objects.select_related("member").prefetch_related("history").get(pk=ack.pk)
        event_record(
            type="acknowledgement.updated", audience_kind=AudienceKind.MEMBERS,
            audience_codes=[report.publisher.code], object_type="acknowledgement", object_id=ack.pk,
            publisher_code=report.publisher.code, facets=report_facets(report),
            payload={**ack_render(fresh), "report_tool": str(report.tool_id)},
        )
    return ack
