"""The pooled sums rebuilt by PostgreSQL: one `INSERT … SELECT … GROUP BY` per table, no row read
into Python (alerts.services.pooled chooses it where `settings.DELIVERY_STORE` is "postgres", the
store's vendor split; the ORM path, row by row in Python, stays for the embedded SQLite default).

The statements are `alerts.services.pooled.rows_sums` and `alerts.stats.measurement_sums` in SQL,
the same float operations in the same order row by row (IEEE doubles on both sides), so each row's
weight is the one Python computes; only the order of the additions in a sum differs.
tests/alerts/reports/test_pooled_rebuild.py holds the two rebuilds equal. A row Python's Wilson
interval refuses (numerator outside 0…denominator) has no weight here.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Model

from alerts.choices import Distribution, ReportStatus
from alerts.models import PooledCell, PooledVersion, Report, ReportMetric, ReportRecipient, ReportSubgroup
from alerts.stats import MIN_SE, SANE_LIMIT, Z95
from exchange.json_types import SQLParam


def _table(model: type[Model]) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


# The reports to pool (pooled._poolable): published and superseded by no published correction.
_POOLABLE = """{a}.status = %(published)s {tools}
       AND NOT EXISTS (SELECT 1 FROM {report} c WHERE c.supersedes_id = {a}.id AND c.status = %(published)s)"""
# The audience classes of the restricted reports (pooled._audiences): publisher and recipients, once
# each. A network or public report has none here: the LEFT JOIN gives it the open class (member null).
_RESTRICTED = """(
    SELECT o.id AS report_id, o.publisher_id AS member_id FROM {report} o WHERE o.distribution <> ALL(%(open)s)
    UNION
    SELECT x.report_id, x.member_id FROM {recipient} x JOIN {report} o ON o.id = x.report_id
     WHERE o.distribution <> ALL(%(open)s))"""

# One row's weight (stats._weight): the width of its interval, reported or Wilson's on its counts,
# with stats.wilson_interval's arithmetic in its order; then Σ per cell (stats.measurement_sums).
_CELLS = """
INSERT INTO {cell} (tool_id, member_id, metric, version, period, label,
                    rows, sane, counted, k, n, weighted, sw, swx, sx)
SELECT p.tool_id, a.member_id, m.metric, p.tool_version,
       extract(year FROM p.period_end)::int::text
         || CASE WHEN extract(month FROM p.period_end) <= 6 THEN '-H1' ELSE '-H2' END,
       g.label,
       count(*), count(*) FILTER (WHERE w.sane),
       count(*) FILTER (WHERE w.sane AND m.numerator IS NOT NULL AND m.denominator <> 0),
       coalesce(sum(m.numerator) FILTER (WHERE w.sane), 0), coalesce(sum(m.denominator) FILTER (WHERE w.sane), 0),
       count(*) FILTER (WHERE w.sane AND w.w > 0),
       coalesce(sum(w.w) FILTER (WHERE w.sane AND w.w > 0), 0),
       coalesce(sum(w.w * m.value) FILTER (WHERE w.sane AND w.w > 0), 0),
       coalesce(sum(m.value) FILTER (WHERE w.sane), 0)
  FROM {metric} m
  JOIN {report} p ON p.id = m.report_id
  LEFT JOIN {restricted} a ON a.report_id = p.id
  LEFT JOIN {subgroup} g ON g.id = m.subgroup_id
  CROSS JOIN LATERAL (SELECT m.numerator::float8 / nullif(m.denominator, 0) AS p,
                             2 * (m.denominator::float8 + %(z2)s) AS d) q
  CROSS JOIN LATERAL (SELECT (2 * m.denominator::float8 * q.p + %(z2)s) / q.d AS center,
                             %(z)s / q.d * sqrt(greatest(4 * m.denominator::float8 * q.p * (1 - q.p) + %(z2)s, 0))
                               AS delta) c
  CROSS JOIN LATERAL (SELECT CASE
           WHEN abs(m.ci_low) <= %(limit)s AND abs(m.ci_high) <= %(limit)s AND m.ci_high > m.ci_low
             THEN m.ci_high - m.ci_low
           WHEN m.numerator IS NOT NULL AND m.denominator > 0 AND m.numerator BETWEEN 0 AND m.denominator
             THEN CASE WHEN m.numerator = m.denominator THEN 1.0::float8 ELSE c.center + c.delta END
                  - CASE WHEN m.numerator = 0 THEN 0.0::float8 ELSE c.center - c.delta END
         END AS width) v
  CROSS JOIN LATERAL (SELECT CASE WHEN v.width IS NOT NULL  -- greatest() would skip a null
                             THEN greatest(v.width / %(two_z95)s, %(min_se)s) END AS se) e
  CROSS JOIN LATERAL (SELECT coalesce(abs(m.value) <= %(limit)s, false) AS sane, 1 / (e.se * e.se) AS w) w
 WHERE {poolable_p}
 GROUP BY 1, 2, 3, 4, 5, 6
"""
_VERSIONS = """
INSERT INTO {version} (tool_id, member_id, version, reports)
SELECT p.tool_id, a.member_id, p.tool_version, count(*)
  FROM {report} p LEFT JOIN {restricted} a ON a.report_id = p.id
 WHERE {poolable_p}
 GROUP BY 1, 2, 3
"""
_FLAGS_ON = "UPDATE {report} r SET pooled = true WHERE NOT r.pooled AND {poolable}"
_FLAGS_OFF = "UPDATE {report} r SET pooled = false WHERE r.pooled {tools} AND NOT ({poolable})"


# For this transaction: hash the whole set in memory (the default 4 MB spills it to disk in 256
# batches), and no JIT (compiling the statements costs more than it saves here).
_SETTINGS = ("work_mem = '256MB'", "jit = off")


def _statement(template: str, tools: bool) -> str:
    names = {"report": _table(Report), "recipient": _table(ReportRecipient), "metric": _table(ReportMetric),
             "subgroup": _table(ReportSubgroup), "cell": _table(PooledCell), "version": _table(PooledVersion),
             "tools": "AND r.tool_id = ANY(%(tool_ids)s)" if tools else ""}
    for name, alias in (("poolable", "r"), ("poolable_p", "p")):
        names[name] = _POOLABLE.format(a=alias, report=names["report"],
                                       tools=f"AND {alias}.tool_id = ANY(%(tool_ids)s)" if tools else "")
    names["restricted"] = _RESTRICTED.format(**names)
    return template.format(**names)


def pooled_rebuild_sql(tool_ids: Sequence[UUID] | None = None) -> tuple[int, int, int]:
    """The sums of these tools (or all) recomputed in one transaction: cells, versions and the
    reports' `pooled` flags, each one statement. Publications wait for it (the sums' tables are
    locked from the start, so none adds to a sum it deletes or misses a report it counts). Answers (reports pooled, cells written, version rows written)."""
    # wilson_interval's z at 0.95 is Z95 (the same float).
    params: dict[str, SQLParam | list[str] | list[UUID]] = {
        "published": ReportStatus.PUBLISHED.value, "open": [Distribution.NETWORK.value, Distribution.PUBLIC.value],
        "z": Z95, "z2": Z95 ** 2, "two_z95": 2 * Z95, "min_se": MIN_SE, "limit": SANE_LIMIT,
        "tool_ids": list(tool_ids) if tool_ids is not None else None,
    }
    tools = tool_ids is not None
    cell, version = _table(PooledCell), _table(PooledVersion)
    where = " WHERE tool_id = ANY(%(tool_ids)s)" if tools else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {cell}, {version} IN SHARE ROW EXCLUSIVE MODE")
        for setting in _SETTINGS:
            cursor.execute(f"SET LOCAL {setting}")
        cursor.execute(f"DELETE FROM {cell}{where}", params)  # noqa: S608 (model tables, quoted)
        cursor.execute(f"DELETE FROM {version}{where}", params)  # noqa: S608
        cursor.execute(_statement(_FLAGS_OFF, tools), params)
        cursor.execute(_statement(_FLAGS_ON, tools), params)
        cursor.execute(_statement(_CELLS, tools), params)
        cells = cursor.rowcount
        cursor.execute(_statement(_VERSIONS, tools), params)
        versions = cursor.rowcount
        cursor.execute(f"SELECT count(*) FROM {_table(Report)} r WHERE r.pooled"  # noqa: S608
                       + (" AND r.tool_id = ANY(%(tool_ids)s)" if tools else ""), params)
        row = cursor.fetchone()
    return (int(row[0]) if row else 0), cells, versions
