"""Signals: the service notices when pooled real-world performance is credibly worse than declared.

Two kinds, per tool and metric:
- below_baseline: the pooled 95% interval lies entirely below the declared baseline by more than
  SIGNAL_MARGIN (on the metric's own scale; for metrics where lower is better, above it). The
  baseline compared against is the least demanding one declared in any jurisdiction, so a signal
  means the tool falls short of every claim it made.
- subgroup_worse: a subgroup's pooled interval lies below the whole population's pooled value by
  more than SIGNAL_MARGIN.
A signal shown to a member rests only on the reports that member may see (SPEC §2): members are
grouped by their evidence, each distinct set is evaluated once, and each member's view of a signal
opens and closes with its own evidence (see `SignalView`).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from alerts.choices import (
    AlertType,
    Distribution,
    ReportStatus,
    Severity,
    SignalStatus,
)
from alerts.models import Alert, Authorization, Report, Signal, SignalView, Tool, ToolVersion
from alerts.payloads import signal_payload
from alerts.selectors import report_audience_members, signals_with_details, tools_authorised_in
from alerts.services.alerts import alert_draft_create
from alerts.services.signal_evidence import Finding, Placed
from alerts.services.signal_findings import SignalKey, signal_key
from alerts.services.signal_links import signal_links_follow
from alerts.services.signal_preparing import (
    Prepared,
    SignalValues,
    prepared_discard,
    signal_new,
    signal_values,
    signals_prepare,
)
from alerts.services.signal_reading import SWEEP_SLACK, EvidenceRead, evidence_read, evidence_read_snapshot
from exchange.choices import AudienceKind
from exchange.errors import Conflict
from exchange.json_types import JSONObject
from exchange.models import Member, User
from exchange.services.audit import audit_record
from exchange.services.chain import audited_write
from exchange.services.events import event_record

logger = logging.getLogger(__name__)


def signal_audience_codes(signal: Signal) -> list[str]:
    """Members that can see every report behind the signal (active members only)."""
    members: set[str] | None = None
    for report in Report.objects.filter(signals=signal).select_related("publisher").prefetch_related("recipient_rows"):
        codes = set(report_audience_members(report).values_list("code", flat=True))
        members = codes if members is None else members & codes
    return sorted(members or set())


def signal_render(signal: Signal, report_ids: frozenset[uuid.UUID] | None = None) -> JSONObject:
    """The signal as the REST API shows it: re-read with its rows, or from itself and its `report_ids`."""
    if report_ids is None:
        return signal_payload(signals_with_details(Signal.objects.filter(pk=signal.pk)).get())
    return signal_payload(signal, report_ids=report_ids)


def _facets(tool: Tool, countries: list[str]) -> JSONObject:
    # The evidence's countries stand for the affected jurisdictions: a subscription filtering on
    # jurisdictions would otherwise never match a signal.
    return {
        "alert_type": None, "severity": None, "tools": [str(tool.pk)], "manufacturers": [tool.manufacturer.lower()],
        "clinical_areas": [tool.clinical_area], "jurisdictions": countries,
        "authorised_in": tools_authorised_in([tool.pk]),
        "publisher": "",
    }


class SweepResult(TypedDict):
    evaluated: int
    failed: list[str]  # the ids of the tools whose evaluation failed


def _same(signal: Signal, finding: Finding, values: SignalValues) -> bool:
    return (all(getattr(signal, f) == v for f, v in values.items())
            and (signal.evidence_count, signal.evidence_digest) == finding.digest)


@dataclass
class _Evaluation:
    """What one evaluation of a tool's signals knows and has decided so far."""

    tool: Tool
    margin: float
    now: datetime
    open_views: list[SignalView]
    current: dict[tuple[int, SignalKey], SignalView]  # each member's open view per finding key
    viewers: dict[uuid.UUID, set[int]]  # signal id -> members viewing it
    changed: dict[uuid.UUID, Placed | None] | None  # reports written since the last evaluation (None: unknown)
    countries: dict[uuid.UUID, str]  # each published report's country
    counts: dict[str, int] = field(default_factory=lambda: {"raised": 0, "updated": 0, "closed": 0})
    keep: set[tuple[int, SignalKey]] = field(default_factory=set)  # (member, key) views that stay or open
    to_open: list[SignalView] = field(default_factory=list)
    touched: dict[uuid.UUID, Signal] = field(default_factory=dict)
    # Signals written with their links before the lock, by the finding they are for (`signals_prepare`).
    prepared: Prepared = field(default_factory=dict)


def _load(tool: Tool) -> _Evaluation:
    open_views = list(
        SignalView.objects.filter(signal__tool=tool, status=SignalStatus.OPEN).select_related("signal")
    )
    viewers: dict[uuid.UUID, set[int]] = defaultdict(set)
    for v in open_views:
        viewers[v.signal_id].add(v.member_id)
    return _Evaluation(
        tool=tool, margin=float(settings.SIGNAL_MARGIN), now=timezone.now(), open_views=open_views,
        current={(v.member_id, signal_key(v.signal)): v for v in open_views},
        viewers=viewers, changed=None, countries={},
    )


def _update_in_place(state: _Evaluation, finding: Finding, members: list[Member], member_ids: set[int],
                     candidates: dict[uuid.UUID, Signal], holders: set[uuid.UUID]) -> Signal | None:
    """The whole audience of the one signal these members hold moved together: update it in place."""
    if len(holders) != 1:
        return None
    only = candidates[next(iter(holders))]
    key = finding.key
    if not (state.viewers[only.pk] <= member_ids and all((m, key) in state.current for m in member_ids)):
        return None
    values = signal_values(finding, state.margin)
    for name, value in values.items():
        setattr(only, name, value)
    only.updated_at = state.now
    only.save(update_fields=[*values.keys(), "updated_at"])
    signal_links_follow(only, finding, state.changed)
    audit_record(actor=None, action="signal.updated", object_type="signal", object_id=only.pk,
                 after={**values, "members": sorted(m.code for m in members)})
    state.counts["updated"] += 1
    return only


def _raise(state: _Evaluation, finding: Finding, members: list[Member]) -> Signal:
    values = signal_values(finding, state.margin)
    prepared = state.prepared.pop((finding.key, finding.digest), None)
    if prepared is not None and Signal.objects.filter(pk=prepared, prepared=True).update(
        prepared=False, created_at=state.now, updated_at=state.now, **values
    ):
        signal = Signal.objects.get(pk=prepared)  # its links were written before the lock
    else:
        signal = signal_new(state.tool.pk, finding, values, now=state.now)
    state.open_views.append(SignalView(signal=signal, member_id=0))  # a candidate for the next group
    state.touched[signal.pk] = signal
    state.counts["raised"] += 1
    codes = sorted(m.code for m in members)
    audit_record(actor=None, action="signal.detected", object_type="signal", object_id=signal.pk,
                 after={**values, "version": finding.version, "period": finding.period, "members": codes})
    _detected(state.tool, signal, codes, finding.report_ids, sorted({state.countries[pk] for pk in finding.report_ids}))
    return signal


def _show(state: _Evaluation, signal: Signal, key: SignalKey, member_ids: set[int]) -> None:
    """Each member sees the signal through its view: kept, or opened (closing the one it replaces)."""
    for member_id in member_ids:
        view = state.current.get((member_id, key))
        state.keep.add((member_id, key))
        if view is not None and view.signal_id == signal.pk:
            continue
        state.to_open.append(SignalView(signal=signal, member_id=member_id, opened_at=state.now))
        state.viewers[signal.pk].add(member_id)
        if view is not None:  # this member's evidence moved it from its old signal to this one
            _close_view(view, state.now)
            state.viewers[view.signal_id].discard(member_id)


def _apply(state: _Evaluation, finding: Finding, members: list[Member]) -> None:
    member_ids = {m.pk for m in members}
    key = finding.key
    values = signal_values(finding, state.margin)
    holders = {state.current[(m, key)].signal_id for m in member_ids if (m, key) in state.current}
    candidates = {v.signal_id: v.signal for v in state.open_views if signal_key(v.signal) == key}
    signal = next((c for c in candidates.values() if _same(c, finding, values)), None)
    if signal is None:
        signal = _update_in_place(state, finding, members, member_ids, candidates, holders)
    if signal is None:
        signal = _raise(state, finding, members)
    _show(state, signal, key, member_ids)


def _close_unsupported(state: _Evaluation) -> None:
    """Views whose member's evidence no longer raises the finding close; returning members reopen."""
    for (member_id, key), view in state.current.items():
        if (member_id, key) not in state.keep and view.status == SignalStatus.OPEN:
            _close_view(view, state.now)
            state.viewers[view.signal_id].discard(member_id)
    SignalView.objects.bulk_create(state.to_open, ignore_conflicts=True)
    # A member whose evidence comes back to a signal it viewed before gets that same view back.
    returning = {(o.signal_id, o.member_id) for o in state.to_open}
    closed = SignalView.objects.filter(signal_id__in={signal for signal, _ in returning}, status=SignalStatus.CLOSED)
    reopen = [v.pk for v in closed.only("pk", "signal_id", "member_id") if (v.signal_id, v.member_id) in returning]
    if reopen:
        SignalView.objects.filter(pk__in=reopen).update(status=SignalStatus.OPEN, closed_at=None, opened_at=state.now)


def _close_unviewed(state: _Evaluation) -> None:
    """A signal nobody views any more closes."""
    for v in state.open_views:
        signal = v.signal
        if signal.pk in state.touched or not signal.pk or signal.status != SignalStatus.OPEN \
                or state.viewers[signal.pk]:
            continue
        signal.status = SignalStatus.CLOSED
        signal.closed_at = signal.updated_at = state.now
        signal.save(update_fields=["status", "closed_at", "updated_at"])
        state.touched[signal.pk] = signal
        audit_record(actor=None, action="signal.closed", object_type="signal", object_id=signal.pk,
                     after={"status": "closed"})
        state.counts["closed"] += 1


def signals_evaluate(*, tool_id: uuid.UUID | str) -> dict[str, int]:
    """Raise, update and close the tool's signals, as each member's own evidence supports them.

    Members are grouped by the evidence they may see; each distinct set is evaluated once (overall,
    per version and for the most recent period) from sums kept per audience (`signal_evidence`). A member sees a signal through its view: opened
    when its evidence raises the finding, closed when its evidence no longer does. One signal row
    serves every member with the same finding on the same reports; it is updated in place only when
    every member viewing it moves together, otherwise the members whose evidence changed get a new
    signal and the others keep theirs untouched.

    Two steps, so that the network's writes never wait for the reading: the evidence is read and the
    findings made in one read-only snapshot without the chain lock (`signal_reading`), then applied
    under the chain lock and the tool's row lock — read again there only if another evaluation of the
    tool was applied in between. A report written while the snapshot was read is not in it; the tool's
    `signals_evaluated_at` is when the reading began, so the next sweep evaluates the tool again.
    Between the two, a new finding's signal and its links are written without the lock (`signal_preparing`).
    Inside a caller's transaction both steps run in it.
    """
    if connection.in_atomic_block:
        return _evaluate_in_transaction(tool_id)
    read = evidence_read_snapshot(tool_id)
    if read is None:
        return _nothing()
    prepared = signals_prepare(read)  # committed as it goes: if it stops, the next evaluation goes on from there
    try:
        return _findings_apply(read, dict(prepared))
    finally:
        prepared_discard(read.tool_id, list(prepared.values()))


def _nothing() -> dict[str, int]:
    return {"raised": 0, "updated": 0, "closed": 0}


@audited_write
def _findings_apply(read: EvidenceRead,
                    prepared: Prepared | None = None) -> dict[str, int]:
    """Serialised per tool by locking the tool row (after the chain lock, like every audited write)."""
    tool = Tool.objects.select_for_update(of=("self",)).filter(pk=read.tool_id).first()
    if tool is None:
        return _nothing()
    if tool.signals_evaluated_at != read.evaluated_at:  # another evaluation came first: its links moved
        read = evidence_read(tool, timezone.now())
    return _evaluate(tool, read, prepared)


@audited_write
def _evaluate_in_transaction(tool_id: uuid.UUID | str) -> dict[str, int]:
    tool = Tool.objects.select_for_update(of=("self",)).filter(pk=tool_id).first()
    return _nothing() if tool is None else _evaluate(tool, evidence_read(tool, timezone.now()))


def _evaluate(tool: Tool, read: EvidenceRead,
              prepared: Prepared | None = None) -> dict[str, int]:
    Tool.objects.filter(pk=tool.pk).update(signals_evaluated_at=read.started)
    state = _load(tool)
    state.prepared = prepared or {}
    state.countries = read.evidence.countries
    if read.changed is not None:
        state.changed = {pk: read.evidence.placed.get(pk) for pk in read.changed}
    for finding, members in read.findings:
        _apply(state, finding, members)
    _close_unsupported(state)
    _close_unviewed(state)
    return state.counts


def _close_view(view: SignalView, now: datetime) -> None:
    view.status = SignalStatus.CLOSED
    view.closed_at = now
    view.save(update_fields=["status", "closed_at"])


def _detected(tool: Tool, signal: Signal, codes: list[str], report_ids: frozenset[uuid.UUID], countries: list[str]) -> None:
    """signal.detected goes to the members shown the signal: all of them can see every report behind it."""
    event_record(type="signal.detected", audience_kind=AudienceKind.MEMBERS, audience_codes=codes,
                 object_type="signal", object_id=signal.pk, facets=_facets(tool, countries),
                 payload=signal_render(signal, report_ids))


def tools_with_new_evidence() -> QuerySet[Tool]:
    """Tools with published reports whose evidence may have changed since their last evaluation: never
    evaluated, or a report, authorisation (with its baselines) or version written since (less
    SWEEP_SLACK). Anything else that changes a finding (a member's status, SIGNAL_MARGIN) waits for
    the full sweep."""
    since = F("signals_evaluated_at") - Value(SWEEP_SLACK)
    tool = OuterRef("pk")
    changed = (
        Q(signals_evaluated_at__isnull=True)
        | Exists(Report.objects.filter(tool=tool, updated_at__gte=OuterRef("since")))
        | Exists(Authorization.objects.filter(tool=tool, updated_at__gte=OuterRef("since")))
        | Exists(ToolVersion.objects.filter(Q(created_at__gte=OuterRef("since")) | Q(withdrawn_at__gte=OuterRef("since")),
                                            tool=tool))
    )
    published = Exists(Report.objects.filter(tool=tool, status=ReportStatus.PUBLISHED))
    return Tool.objects.annotate(since=since).filter(published).filter(changed).order_by()


def signals_sweep(*, full: bool = False) -> SweepResult:
    """Evaluate each tool with new evidence (every tool with published reports when `full`), each in
    its own transaction: one tool's failure (bad data, a bug) is logged and never stops the others."""
    tool_ids: QuerySet[Report, uuid.UUID] | QuerySet[Tool, uuid.UUID]
    if full:
        tool_ids = (
            Report.objects.filter(status=ReportStatus.PUBLISHED)
            .order_by()  # the model's ordering would otherwise join the DISTINCT (one row per report)
            .values_list("tool_id", flat=True).distinct()
        )
    else:
        tool_ids = tools_with_new_evidence().values_list("pk", flat=True)
    evaluated, failed = 0, []
    for tool_id in list(tool_ids):
        try:
            signals_evaluate(tool_id=tool_id)
            evaluated += 1
        except Exception:
            logger.exception("Signal evaluation failed for tool %s; the sweep goes on", tool_id)
            failed.append(str(tool_id))
    return {"evaluated": evaluated, "failed": failed}


def _versions_of(signal: Signal, reports: list[Report]) -> str:
    """The versions the evidence is about: the signal's own version, else every version reported."""
    return (signal.version or ", ".join(sorted({r.tool_version for r in reports})))[:100]


def signal_draft_alert(*, actor: User, signal: Signal) -> Alert:
    """A draft alert pre-filled with the evidence, distributed no wider than the evidence itself."""
    member = actor.member
    assert member is not None  # the views let only a member's publishers draft from a signal
    reports = list(Report.objects.filter(signals=signal).select_related("publisher").order_by("period_start"))
    wide = all(r.distribution in (Distribution.NETWORK, Distribution.PUBLIC) for r in reports)
    recipients = [] if wide else [code for code in signal_audience_codes(signal) if code != member.code]
    gap = abs(signal.reference_value - signal.pooled_value)
    severity = Severity.HIGH if gap >= 2 * signal.margin else Severity.MEDIUM
    tool = signal.tool
    what = (f"{signal.metric} in subgroup '{signal.subgroup}' below the whole population"
            if signal.subgroup else f"real-world {signal.metric} below the declared baseline")
    lines = [
        f"The Exchange detected that {what} for {tool.name} ({tool.manufacturer}).",
        f"Pooled {signal.metric}: {signal.pooled_value:.3f} (95% CI {signal.ci_low:.3f}–{signal.ci_high:.3f}, "
        f"n={signal.sample}); compared with {signal.reference_value:.3f} ({signal.reference_source}); "
        f"margin {signal.margin}.",
        "Evidence:",
        *[f"- {r.publisher.code}: {r.setting}, {r.country}, {r.period_start}–{r.period_end}, n={r.sample_size}, "
          f"version {r.tool_version} (report {r.pk})" for r in reports],
    ]
    data = {
        "title": f"{tool.name}: {what}"[:300],
        "summary": lines[0],
        "description": "\n".join(lines),
        "alert_type": AlertType.BIAS_OR_INEQUITY if signal.subgroup else AlertType.PERFORMANCE_DEGRADATION,
        "severity": severity,
        "affected_tools": [{"tool": tool.pk, "versions": _versions_of(signal, reports)}],
        "affected_jurisdictions": sorted({r.country for r in reports}),
        "distribution": Distribution.NETWORK if wide else Distribution.RESTRICTED,
        "recipients": recipients,
    }
    if not wide and not recipients:
        raise Conflict(
            "Only your member can see every report behind this signal, so an alert built on it could reach "
            "nobody else without disclosing restricted reports; draft an alert by hand instead."
        )
    return alert_draft_create(actor=actor, data=data)
