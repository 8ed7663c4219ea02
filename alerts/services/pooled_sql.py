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


def _table(model: type[Model]) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


# The reports to pool: published and superseded by no published correction (pooled._poolable).
_POOL = """
    SELECT r.id, r.tool_id, r.tool_version, r.period_end, r.distribution, r.publisher_id
      FROM {report} r
     WHERE r.status = %(published)s {tools}
       AND NOT EXISTS (SELECT 1 FROM {report} c WHERE c.supersedes_id = r.id AND c.status = %(published)s)
"""
# Each report's audience classes (pooled._audiences): the open class, or its publisher and recipients.
_AUDIENCE = """
    SELECT p.id AS report_id, NULL::integer AS member_id FROM pool p WHERE p.distribution = ANY(%(open)s)
    UNION ALL
    SELECT s.report_id, s.member_id FROM (
        SELECT p.id AS report_id, p.publisher_id AS member_id FROM pool p WHERE p.distribution <> ALL(%(open)s)
        UNION
        SELECT x.report_id, x.member_id FROM {recipient} x JOIN pool p ON p.id = x.report_id
         WHERE p.distribution <> ALL(%(open)s)) s
"""
_WITH = "WITH pool AS MATERIALIZED ({pool}), audience AS MATERIALIZED ({audience})"

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
  JOIN pool p ON p.id = m.report_id
  JOIN audience a ON a.report_id = p.id
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
 GROUP BY 1, 2, 3, 4, 5, 6
"""
_VERSIONS = """
INSERT INTO {version} (tool_id, member_id, version, reports)
SELECT p.tool_id, a.member_id, p.tool_version, count(*)
  FROM pool p JOIN audience a ON a.report_id = p.id
 GROUP BY 1, 2, 3
"""
_FLAGS_ON = """
UPDATE {report} r SET pooled = true FROM pool p WHERE p.id = r.id AND NOT r.pooled
"""
_FLAGS_OFF = """
UPDATE {report} r SET pooled = false WHERE r.pooled {tools} AND NOT EXISTS (SELECT 1 FROM pool p WHERE p.id = r.id)
"""


def _statement(template: str, tools: bool) -> str:
    names = {"report": _table(Report), "recipient": _table(ReportRecipient), "metric": _table(ReportMetric),
             "subgroup": _table(ReportSubgroup), "cell": _table(PooledCell), "version": _table(PooledVersion),
             "tools": "AND r.tool_id = ANY(%(tool_ids)s)" if tools else ""}
    pool = _POOL.format(**names)
    audience = _AUDIENCE.format(**names)
    return _WITH.format(pool=pool, audience=audience) + template.format(**names)


def pooled_rebuild_sql(tool_ids: Sequence[UUID] | None = None) -> tuple[int, int, int]:
    """The sums of these tools (or all) recomputed in one transaction: cells, versions and the
    reports' `pooled` flags, each one statement. Publications on these tools wait for it (their sums
    are locked). Answers (reports pooled, cells written, version rows written)."""
    # wilson_interval's z at 0.95 is Z95 (the same float).
    params = {"published": ReportStatus.PUBLISHED.value,
              "open": [Distribution.NETWORK.value, Distribution.PUBLIC.value],
              "z": Z95, "z2": Z95 ** 2, "two_z95": 2 * Z95, "min_se": MIN_SE, "limit": SANE_LIMIT,
              "tool_ids": list(tool_ids) if tool_ids is not None else None}
    tools = tool_ids is not None
    cell, version = _table(PooledCell), _table(PooledVersion)
    where = " WHERE tool_id = ANY(%(tool_ids)s)" if tools else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {cell}, {version} IN SHARE ROW EXCLUSIVE MODE")
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
