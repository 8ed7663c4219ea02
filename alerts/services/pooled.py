"""The pooled sums of each tool: what the pooled trend needs, kept as reports are published.

A report is *pooled* (`Report.pooled`) when it is published and superseded by no published
correction: then every member that may see it has it in its evidence (SPEC §3), and its metric
rows are summed into `PooledCell` (per metric, version, half-year and subgroup: rows, rows pool()
keeps, rows with counts, Σnumerator, Σdenominator, Σw, Σw·value, Σvalue) and counted in
`PooledVersion`, per audience class, in the transaction that publishes it:
- a network or public report into the open class (`member` null), which every active member sees;
- a restricted report into the class of each member of its audience (publisher and recipients),
  so that a member's class holds exactly the restricted reports it may see.
Publishing a correction takes the report it corrects out of the sums (whoever may see the
correction: members who may not still pool the corrected report, from the live part).

A member's trend is the open class plus its own class plus its *live part*: the reports it may see
that are not pooled (corrected ones, read through `evidence_visible_to` by
`alerts.performance_selectors`). No sum a member reads holds a report it may not see. A report
written around this module (the volume benchmark's COPY) stays unpooled and is read live: correct,
only slower, until `pooled_rebuild` counts it.

One home: `report_publish` calls `pooled_on_publish`; migration 0015 and the volume benchmark's build
call `pooled_rebuild` (set-based on PostgreSQL: alerts.services.pooled_sql).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from alerts.choices import Distribution, ReportStatus
from alerts.models import PooledCell, PooledVersion, Report, ReportMetric, ReportRecipient
from alerts.services.pooled_sql import pooled_rebuild_sql
from alerts.stats import Measurement, measurement_sums
from exchange.services.deliveries.store import delivery_store

CellKey = tuple[str, str, str, str | None]  # metric, version, half-year, subgroup label (None: whole)
_OPEN = (Distribution.NETWORK, Distribution.PUBLIC)


def half_year(end: date) -> str:
    """The half-year a period ends in: the unit of trends and of "the most recent period"."""
    return f"{end.year}-H{1 if end.month <= 6 else 2}"


@dataclass
class Sums:
    """What pool() needs of a set of rows, summed (PooledCell's columns)."""

    rows: int = 0
    sane: int = 0
    counted: int = 0
    k: int = 0
    n: int = 0
    weighted: int = 0
    sw: float = 0.0
    swx: float = 0.0
    sx: float = 0.0

    def add_row(self, m: Measurement, *, weights: bool = True) -> None:
        self.rows += 1
        pair = measurement_sums(m)
        if pair is None:
            return
        self.sane += 1
        if m.numerator is not None and m.denominator:
            self.counted += 1
        self.k += m.numerator or 0
        self.n += m.denominator or 0
        self.sx += m.value
        if weights and pair[0] > 0:
            self.weighted += 1
            self.sw += pair[0]
            self.swx += pair[1]

    def add_weights(self, m: Measurement) -> None:
        """Only the weight of a row whose counts are summed already (performance's live part)."""
        pair = measurement_sums(m)
        if pair is not None and pair[0] > 0:
            self.weighted += 1
            self.sw += pair[0]
            self.swx += pair[1]

    def merge(self, other: Sums) -> None:
        for name in ("rows", "sane", "counted", "k", "n", "weighted", "sw", "swx", "sx"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


Audience = tuple[int | None, ...]  # the classes a report is summed into: (None,) open, else member ids


def _audiences(ids: list[UUID]) -> dict[UUID, tuple[UUID, str, Audience]]:
    """Each report's tool, version and audience classes."""
    recipients: dict[UUID, list[int]] = defaultdict(list)
    for report_id, member_id in ReportRecipient.objects.filter(report_id__in=ids).values_list("report_id",
                                                                                               "member_id"):
        recipients[report_id].append(member_id)
    found = {}
    for pk, tool_id, version, distribution, publisher_id in Report.objects.filter(pk__in=ids).values_list(
            "pk", "tool_id", "tool_version", "distribution", "publisher_id"):
        classes: Audience = (None,) if distribution in _OPEN else tuple({publisher_id, *recipients[pk]})
        found[pk] = (tool_id, version, classes)
    return found


def rows_sums(
    report_ids: Iterable[UUID],
) -> tuple[dict[tuple[UUID, int | None, CellKey], Sums], dict[tuple[UUID, int | None, str], int]]:
    """The reports' metric rows summed per tool, audience class and cell, and the reports counted per
    tool, audience class and version."""
    ids = list(report_ids)
    audiences = _audiences(ids)
    by_report: dict[tuple[UUID, CellKey], Sums] = defaultdict(Sums)
    rows = ReportMetric.objects.filter(report_id__in=ids).values_list(
        "report_id", "metric", "report__tool_version", "report__period_end", "subgroup__label",
        "value", "ci_low", "ci_high", "numerator", "denominator")
    for report_id, metric, version, end, label, value, low, high, num, den in rows.iterator(chunk_size=5000):
        by_report[report_id, (metric, version, half_year(end), label)].add_row(
            Measurement(value, low, high, num, den))
    cells: dict[tuple[UUID, int | None, CellKey], Sums] = defaultdict(Sums)
    for (report_id, key), sums in by_report.items():
        tool_id, _, classes = audiences[report_id]
        for member_id in classes:
            cells[tool_id, member_id, key].merge(sums)
    versions: dict[tuple[UUID, int | None, str], int] = defaultdict(int)
    for tool_id, version, classes in audiences.values():
        for member_id in classes:
            versions[tool_id, member_id, version] += 1
    return cells, versions


_CELL_KEY = ("tool_id", "member_id", "metric", "version", "period", "label")
_CELL_COUNTERS = ("rows", "sane", "counted", "k", "n", "weighted", "sw", "swx", "sx")


def _apply(report_ids: list[UUID], sign: int) -> None:
    """Add (sign 1) or take out (sign -1) these reports' rows from their tools' sums, in one statement
    per row of sums: concurrent publications on one tool add up, whatever the interleaving."""
    if not report_ids:
        return
    cells, versions = rows_sums(report_ids)
    store = delivery_store()
    store.counters_add(PooledCell, key=_CELL_KEY, counters=_CELL_COUNTERS, constraint="pooled_cell_unique", rows=[
        (tool_id, member_id, *key, sign * s.rows, sign * s.sane, sign * s.counted, sign * s.k, sign * s.n,
         sign * s.weighted, sign * s.sw, sign * s.swx, sign * s.sx)
        for (tool_id, member_id, key), s in cells.items()
    ])
    store.counters_add(PooledVersion, key=("tool_id", "member_id", "version"), counters=("reports",),
                       constraint="pooled_version_unique",
                       rows=[(tool_id, member_id, v, sign * n) for (tool_id, member_id, v), n in versions.items()])


def _poolable() -> QuerySet[Report]:
    corrected = Report.objects.filter(supersedes=OuterRef("pk"), status=ReportStatus.PUBLISHED)
    return Report.objects.filter(status=ReportStatus.PUBLISHED).exclude(Exists(corrected))


def pooled_add(report_ids: Iterable[UUID]) -> list[UUID]:
    """Pool those of the reports that are poolable and not pooled yet (locked, then flagged)."""
    with transaction.atomic():
        ids = list(_poolable().filter(pk__in=list(report_ids), pooled=False)
                   .select_for_update(of=("self",)).values_list("pk", flat=True))
        Report.objects.filter(pk__in=ids).update(pooled=True)
        _apply(ids, 1)
    return ids


def pooled_remove(report_ids: Iterable[UUID]) -> list[UUID]:
    """Take the reports out of the sums (those that were in)."""
    with transaction.atomic():
        ids = list(Report.objects.filter(pk__in=list(report_ids), pooled=True)
                   .select_for_update(of=("self",)).values_list("pk", flat=True))
        Report.objects.filter(pk__in=ids).update(pooled=False)
        _apply(ids, -1)
    return ids


def pooled_on_publish(report: Report) -> None:
    """A report was just published (in this transaction): the one it corrects leaves the sums — a
    correction removes it from the evidence of whoever sees the correction, so it is read live —
    and the report joins its audience classes."""
    if report.supersedes_id:
        pooled_remove([report.supersedes_id])
    pooled_add([report.pk])


def pooled_rebuild(tool_ids: Iterable[UUID] | None = None, *, chunk: int = 2000) -> int:
    """The sums recomputed from the reports (all tools, or these): for a migration, or after a load
    around the service; answers how many reports are pooled. On PostgreSQL (the "postgres" store)
    one statement per table in one transaction (alerts.services.pooled_sql); otherwise in Python,
    one transaction per chunk of reports."""
    if delivery_store().name == "postgres":
        return pooled_rebuild_sql(None if tool_ids is None else list(tool_ids))[0]
    return pooled_rebuild_python(tool_ids, chunk=chunk)


def pooled_rebuild_python(tool_ids: Iterable[UUID] | None = None, *, chunk: int = 2000) -> int:
    """pooled_rebuild row by row in Python (any database)."""
    tools = None if tool_ids is None else {"tool_id__in": list(tool_ids)}
    with transaction.atomic():
        PooledCell.objects.filter(**(tools or {})).delete()
        PooledVersion.objects.filter(**(tools or {})).delete()
        Report.objects.filter(pooled=True, **(tools or {})).update(pooled=False)
    candidates = _poolable().filter(**(tools or {}))
    ids = list(candidates.order_by("tool_id", "pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        pooled_add(ids[start:start + chunk])
    return len(ids)
