"""Writes the full-text search vectors of alerts and reports (SPEC §10.6), on PostgreSQL.

The services that write the text call these in their transaction (drafts, amendments, reports), so a
search sees what was committed with it; no signal does it behind their back. The weights: an alert's
title (with its references) A, summary B, description C, hazard, harm and recommended actions D; a
report's tool A, setting and population B, method and data source C. Migration
`0010_search_related_links` fills existing rows with the same weights in SQL. The embedded SQLite default
keeps no vector: its search is a substring match (alerts/search.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import OuterRef, Q, Subquery, TextField, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce, Concat
from django.db.models.sql import UpdateQuery

from alerts.models import Alert, AlertTranslation, Report
from exchange.json_types import SQLParam

SEARCH_CONFIG = "english"


def _translated(*fields: str) -> Coalesce:
    """The alert's translations' text of these fields (SPEC §10.5), joined: found by the words a reader of
    another language remembers. Indexed with the language-neutral `simple` configuration."""
    parts = [_spaced(field) for field in fields]
    joined = parts[0] if len(parts) == 1 else Concat(*parts, output_field=TextField())
    texts = (
        AlertTranslation.objects.filter(alert=OuterRef("pk")).order_by().values("alert")
        .annotate(text=StringAgg(joined, " "))
        .values("text")
    )
    return Coalesce(Subquery(texts, output_field=TextField()), Value("", output_field=TextField()))


def _spaced(field: str) -> Concat:
    return Concat(field, Value(" "), output_field=TextField())


def alert_vector() -> CombinedExpression:
    """The expression of an alert's vector, over its own columns and its translations (one UPDATE
    serves any number of rows)."""
    return (
        SearchVector("title", "reference", "publisher_reference", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("description", weight="C", config=SEARCH_CONFIG)
        + SearchVector("hazard", "harm", "recommended_actions", weight="D", config=SEARCH_CONFIG)
        + SearchVector(_translated("title"), weight="A", config="simple")
        + SearchVector(_translated("summary", "recommended_actions", "description"), weight="B", config="simple")
    )


def alerts_search_refresh(*, alert_ids: Iterable[uuid.UUID]) -> int:
    """Re-compute the vectors of these alerts from their stored text; 0 (nothing to do) on SQLite."""
    if connection.vendor != "postgresql":
        return 0
    ids = list(alert_ids)
    if len(ids) != 1:
        return Alert.objects.filter(pk__in=ids).update(search_vector=alert_vector())
    # One alert (each publication, amendment and draft edit): the same UPDATE, compiled once per
    # process — building and compiling the expression cost ~4 ms of CPU a call, the UPDATE itself 0.2.
    sql, params, where = _one_alert_update()
    params = list(params)
    params[where] = Alert._meta.pk.get_db_prep_value(ids[0], connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


_compiled: list[tuple[str, list[SQLParam], int]] = []


def _one_alert_update() -> tuple[str, list[SQLParam], int]:
    """`UPDATE … SET search_vector = <alert_vector()> WHERE id = %s` as Django compiles it, its
    parameters, and which of them is the alert's id."""
    if not _compiled:
        marker = Alert._meta.pk.get_db_prep_value(uuid.UUID(int=0), connection)
        query = UpdateQuery(Alert)
        query.add_update_values({"search_vector": alert_vector()})
        query.add_q(Q(pk=uuid.UUID(int=0)))
        sql, params = query.get_compiler(connection=connection).as_sql()
        where = [index for index, param in enumerate(params) if param == marker]
        if len(where) != 1:
            raise RuntimeError("alerts_search_refresh: the alert's id is not one parameter of the compiled UPDATE")
        _compiled.append((sql, list(params), where[0]))
    return _compiled[0]


def _text(value: str) -> Value:
    return Value(value or "", output_field=TextField())


def report_search_refresh(*, report: Report) -> None:
    """The report's vector; its tool's name and manufacturer are read from the row the report points to."""
    if connection.vendor != "postgresql":
        return
    tool = report.tool
    vector = (
        SearchVector(_text(f"{tool.name} {tool.manufacturer}"), weight="A", config=SEARCH_CONFIG)
        + SearchVector("setting", "population", weight="B", config=SEARCH_CONFIG)
        + SearchVector("method", "data_source", "supersede_reason", weight="C", config=SEARCH_CONFIG)
    )
    Report.objects.filter(pk=report.pk).update(search_vector=vector)
