"""What an evaluation of a tool's signals reads: its evidence and the findings it supports.

Read in one read-only snapshot without the chain lock (`evidence_read_snapshot`), so that the network's
audited writes never wait for it — at scale 1.0 the busiest tool's 146,000 reports take 10–17 s to read,
and read under the lock every publication, answer and token in the network queued behind them. The
findings are then applied under the lock (`alerts.services.signals`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from alerts.models import Report, Tool
from alerts.services.signal_evidence import Evidence, Finding, evidence_gather, group_findings
from alerts.services.signal_findings import baselines_of
from alerts.services.versions import known_versions
from exchange.models import Member

# How far before a tool's last evaluation a change still counts as new: a change written in a
# transaction that committed after the evaluation read the evidence carries an earlier time.
SWEEP_SLACK = timedelta(minutes=10)

# Beyond this many reports written since the last evaluation, a signal's links are compared whole.
CHANGED_AT_MOST = 1000


@dataclass(frozen=True)
class EvidenceRead:
    """A tool's evidence and findings as one snapshot showed them."""

    tool_id: uuid.UUID
    evaluated_at: datetime | None  # the tool's last evaluation, as the snapshot showed it
    started: datetime  # when this reading began: the tool's next `signals_evaluated_at`
    changed: set[uuid.UUID] | None  # reports written since the last evaluation (None: unknown)
    evidence: Evidence
    findings: list[tuple[Finding, list[Member]]]


def evidence_read_snapshot(tool_id: uuid.UUID | str) -> EvidenceRead | None:
    """The tool's evidence and findings, read in a read-only transaction of its own (no lock taken);
    on PostgreSQL one `REPEATABLE READ` snapshot, so every query sees the same reports (SQLite has one
    writer). None if the tool is gone."""
    started = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        tool = Tool.objects.filter(pk=tool_id).first()
        return None if tool is None else evidence_read(tool, started)


def evidence_read(tool: Tool, started: datetime) -> EvidenceRead:
    """The tool's evidence and findings, read in the caller's transaction."""
    changed = _changed_since(tool, tool.signals_evaluated_at)
    evidence = evidence_gather(tool, changed or ())
    margin = float(settings.SIGNAL_MARGIN)
    baselines, known = baselines_of(tool), known_versions(tool)
    findings = [(finding, members) for group, members in evidence.groups.items()
                for finding in group_findings(evidence, group, margin, baselines, known)]
    return EvidenceRead(tool.pk, tool.signals_evaluated_at, started, changed, evidence, findings)


def _changed_since(tool: Tool, evaluated_at: datetime | None) -> set[uuid.UUID] | None:
    """The tool's reports written since its last evaluation (less SWEEP_SLACK), with those they correct."""
    if evaluated_at is None:
        return None
    rows = Report.objects.filter(tool=tool, updated_at__gte=evaluated_at - SWEEP_SLACK).values_list("pk", "supersedes_id")
    found = list(rows[:CHANGED_AT_MOST + 1])
    if len(found) > CHANGED_AT_MOST:
        return None
    return {pk for pair in found for pk in pair if pk is not None}
