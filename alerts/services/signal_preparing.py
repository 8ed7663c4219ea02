"""New signals written with their links before the chain lock (`alerts.services.signals`).

An evaluation reads a tool's evidence in a snapshot without locks, then applies its findings under
the chain lock. A finding of a key none of the tool's open signals has raises a new signal, whose
links name every report behind it: at scale 1.0 a new finding on the busiest tool rests on 146,000
reports, and writing its links under the lock held every audited write in the network for seconds
(all of the tool's signals at once, on a first evaluation: 395 s). Such signals are written here,
each in a transaction of its own, marked `prepared`: shown nowhere (no view, no event, never a
request's subject) until the evaluation raises one — it then only clears the mark — or deleted.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TypedDict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alerts.choices import SignalStatus
from alerts.models import Signal
from alerts.services.signal_evidence import Finding
from alerts.services.signal_findings import SignalKey, signal_key
from alerts.services.signal_links import signal_links_new
from alerts.services.signal_reading import EvidenceRead

# A new finding resting on at least this many reports is prepared; below, writing its links under the
# lock takes a few milliseconds.
PREPARE_AT_LEAST = 2000
# A prepared signal left behind (its evaluation's process died) is removed by a later evaluation of the tool.
PREPARED_LEFT_AFTER = timedelta(hours=1)

# Prepared signals by the finding they are for: (its key, its reports' digest).
Prepared = dict[tuple[SignalKey, tuple[int, int]], uuid.UUID]


class SignalValues(TypedDict):
    """What a finding writes into its signal row (and into the audit entry beside it)."""

    reference_value: float
    reference_source: str
    pooled_value: float
    ci_low: float | None
    ci_high: float | None
    sample: int
    margin: float


def signal_values(finding: Finding, margin: float) -> SignalValues:
    return {
        "reference_value": finding.reference_value, "reference_source": finding.reference_source,
        "pooled_value": finding.pooled.value, "ci_low": finding.pooled.ci_low, "ci_high": finding.pooled.ci_high,
        "sample": finding.pooled.sample, "margin": margin,
    }


def signal_new(tool_id: uuid.UUID, finding: Finding, values: SignalValues, *, now: datetime,
               prepared: bool = False) -> Signal:
    """A new signal of the finding, with its links (every report behind the finding)."""
    signal = Signal.objects.create(tool_id=tool_id, metric=finding.metric, kind=finding.kind,
                                   subgroup=finding.subgroup, version=finding.version, period=finding.period,
                                   created_at=now, updated_at=now, prepared=prepared, **values)
    signal_links_new(signal, finding)
    return signal


def signals_prepare(read: EvidenceRead) -> Prepared:
    """The new signals the findings will most likely raise — of a key no open signal of the tool has,
    on at least PREPARE_AT_LEAST reports — written with their links now, each in its own transaction.

    One prepared before for the same finding (an earlier evaluation stopped while preparing: the
    evaluation task's time limit, at 1.0 a first evaluation of the busiest tool writes some 15 million
    links) is taken again, so each attempt gets further. What the evaluation does not raise,
    `prepared_discard` deletes; one no finding matches is deleted after PREPARED_LEFT_AFTER."""
    now = timezone.now()
    left = {(signal_key(signal), (signal.evidence_count, signal.evidence_digest)): signal
            for signal in Signal.objects.filter(tool_id=read.tool_id, prepared=True)}
    large = [finding for finding, _members in read.findings if finding.digest[0] >= PREPARE_AT_LEAST]
    held = {signal_key(signal) for signal in Signal.objects.filter(
        tool_id=read.tool_id, prepared=False, views__status=SignalStatus.OPEN).distinct()} if large else set()
    margin = float(settings.SIGNAL_MARGIN)
    prepared: Prepared = {}
    for finding in large:  # most tools have none: then nothing more is read
        key = (finding.key, finding.digest)
        if finding.key in held or key in prepared:
            continue
        if key in left:
            prepared[key] = left.pop(key).pk
            continue
        with transaction.atomic():
            prepared[key] = signal_new(read.tool_id, finding, signal_values(finding, margin), now=now, prepared=True).pk
    stale = [signal.pk for signal in left.values() if signal.created_at < now - PREPARED_LEFT_AFTER]
    prepared_discard(read.tool_id, stale)
    return prepared


def prepared_discard(tool_id: uuid.UUID, signal_ids: list[uuid.UUID]) -> None:
    """Delete the prepared signals the evaluation did not raise, with their links (outside the lock)."""
    if signal_ids:
        Signal.objects.filter(tool_id=tool_id, pk__in=signal_ids, prepared=True).delete()
