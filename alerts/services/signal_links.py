"""A signal's links to the reports behind it, and the digest it keeps of them (`Signal.evidence_*`).

The only writer of `Signal.reports`: every change of the links writes the digest beside them, so an
evaluation reads one row per signal, not its links (26 million for the busiest tool's open signals
at scale 1.0). When one report arrives, a finding differs from its signal by that report: the links
change by what the reports changed since the last evaluation say, checked against the finding's
digest, and only when that check fails are the signal's links read and compared whole.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Set

from django.db import connection

from alerts.models import Signal
from alerts.selectors import id_digest, wrap_digest
from alerts.services.signal_evidence import Finding, Placed


def _write(signal: Signal, add: Set[uuid.UUID], remove: Set[uuid.UUID], digest: tuple[int, int]) -> None:
    through = Signal.reports.through
    if remove:
        through.objects.filter(signal_id=signal.pk, report_id__in=remove).delete()
    added = sorted(add)
    if added and connection.vendor == "postgresql":  # one statement, no model instance per link
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {through._meta.db_table} (signal_id, report_id)"  # its own table
                           " SELECT %s, unnest(%s::uuid[]) ON CONFLICT DO NOTHING", [signal.pk, added])
    elif added:
        through.objects.bulk_create([through(signal_id=signal.pk, report_id=pk) for pk in added], ignore_conflicts=True)
    signal.evidence_count, signal.evidence_digest = digest
    Signal.objects.filter(pk=signal.pk).update(evidence_count=digest[0], evidence_digest=digest[1])


def signal_links_new(signal: Signal, finding: Finding) -> None:
    """A new signal's links: every report behind the finding."""
    _write(signal, set(finding.report_ids), set(), finding.digest)


def signal_links_follow(signal: Signal, finding: Finding, changed: Mapping[uuid.UUID, Placed | None] | None) -> None:
    """The signal's links become the finding's reports. `changed`: where each report written since the
    last evaluation stands now (None where it is no longer published); `changed` None: not known, or too
    many to be worth it."""
    through = Signal.reports.through.objects.filter(signal_id=signal.pk)
    if changed is not None:
        held = set(through.filter(report_id__in=list(changed)).values_list("report_id", flat=True))
        now = {pk for pk, placed in changed.items() if placed is not None and finding.holds(placed)}
        add, remove = now - held, held - now
        total = signal.evidence_digest + sum(map(id_digest, add)) - sum(map(id_digest, remove))
        if wrap_digest(signal.evidence_count + len(add) - len(remove), total) == finding.digest:
            _write(signal, add, remove, finding.digest)
            return
    before = set(through.values_list("report_id", flat=True))
    _write(signal, finding.report_ids - before, before - finding.report_ids, finding.digest)
