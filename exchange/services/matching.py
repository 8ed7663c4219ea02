"""Matching: the one query that finds an event's recipients among every subscription.

Matching works on the event alone (its type, audience and routing facets), never on alerts or
reports. A filter applies when the event carries the facet it filters on: an empty filter list
means "no filter on that field", and a facet the event does not carry (an `endpoint.disabled`
event has no severity, a report no alert type) does not restrict the match.

The recipients are found by the database in one query (see `_matching_sql`), read from two
covering indexes; never a Python loop over subscriptions. The subscription's own rows (its terms)
are written by exchange.services.subscriptions from `LIST_FILTERS` here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sized
from dataclasses import dataclass

from django.db import connection

from exchange.choices import EVENT_TYPE_BITS, AudienceKind, MemberStatus
from exchange.json_types import JSONObject, JSONValue, SQLParam
from exchange.models import Dimension, Event, FeedEntry, Member, Subscription, SubscriptionTerm
from exchange.vocabularies import SEVERITIES


def squash_spaces(value: JSONValue) -> str:
    """The value as text, runs of white space made one space."""
    return " ".join(str(value).split())


def normalise_tool(value: JSONValue) -> str:
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        return squash_spaces(value).lower()


def normalise_lower(value: JSONValue) -> str:
    return squash_spaces(value).lower()


def normalise_upper(value: JSONValue) -> str:
    return squash_spaces(value).upper()


@dataclass(frozen=True)
class ListFilter:
    """A list filter: its subscription field, its term dimension, the event facet it tests."""

    field: str
    dimension: Dimension
    facet: str
    normalise: Callable[[JSONValue], str]


LIST_FILTERS: tuple[ListFilter, ...] = (
    ListFilter("alert_types", Dimension.ALERT_TYPE, "alert_type", normalise_lower),
    ListFilter("tools", Dimension.TOOL, "tools", normalise_tool),
    ListFilter("manufacturers", Dimension.MANUFACTURER, "manufacturers", normalise_lower),
    ListFilter("clinical_areas", Dimension.CLINICAL_AREA, "clinical_areas", normalise_lower),
    ListFilter("jurisdictions", Dimension.JURISDICTION, "jurisdictions", normalise_upper),
    ListFilter("publishers", Dimension.PUBLISHER, "publisher", normalise_upper),
)


def dimension_bit(dimension: int) -> int:
    return 1 << int(dimension)


# --- matching --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingFacets:
    """What of an event subscriptions filter on; None where the event does not carry the facet."""

    type_bit: int | None
    severity_rank: int | None
    lists: dict[Dimension, list[str] | None]
    authorised_in: list[str] | None


def _as_list(value: JSONValue) -> list[JSONValue] | None:
    if value is None:
        return None
    if isinstance(value, list | tuple | set):
        return [item for item in value if item is not None and str(item).strip() != ""]
    return [value] if str(value).strip() != "" else []


def routing_facets(event: Event) -> RoutingFacets:
    facets: JSONObject = event.facets if isinstance(event.facets, dict) else {}
    lists: dict[Dimension, list[str] | None] = {}
    for list_filter in LIST_FILTERS:
        raw = facets.get(list_filter.facet)
        if list_filter.dimension == Dimension.PUBLISHER and raw is None:
            raw = event.publisher_code or None
        values = _as_list(raw)
        lists[list_filter.dimension] = (
            None if values is None else sorted({list_filter.normalise(value) for value in values})
        )
    severity = facets.get("severity")
    authorised_in = _as_list(facets.get("authorised_in"))
    return RoutingFacets(
        type_bit=EVENT_TYPE_BITS.get(event.type),
        severity_rank=SEVERITIES.rank(str(severity).lower()) if severity is not None else None,
        lists=lists,
        authorised_in=None if authorised_in is None else sorted({normalise_upper(v) for v in authorised_in}),
    )


ALL_TERM_BITS = sum(dimension_bit(list_filter.dimension) for list_filter in LIST_FILTERS)


def term_key(dimension: int, value: str) -> str:
    return f"{int(dimension)}:{value}"


def _submasks(mask: int) -> list[int]:
    """Every term_mask made only of the bits in `mask` (0 included)."""
    result = []
    sub = mask
    while True:
        result.append(sub)
        if sub == 0:
            return sorted(result)
        sub = (sub - 1) & mask


def _placeholders(values: Sized) -> str:
    return ", ".join(["%s"] * len(values))


def _matching_sql(event: Event) -> tuple[str, list[SQLParam]] | None:
    """One SQL statement (PostgreSQL and SQLite) returning (subscription_id, member_id) of the matches.

    Branch 1 reads the subscriptions that have no list filter the event's facets apply to, from
    the covering index `subscription_match_idx`. Branch 2 reads the terms whose key is one of the
    event's "<dimension>:<value>" keys from the covering index `subscription_term_match_idx`, and
    keeps a subscription when every applicable dimension it filters on was hit: the distinct bits
    hit sum to its term_mask restricted to the applicable dimensions.
    """
    facets = routing_facets(event)
    if event.audience_kind not in AudienceKind.values:
        return None
    subscriptions = Subscription._meta.db_table
    terms = SubscriptionTerm._meta.db_table
    members = Member._meta.db_table
    audience = FeedEntry._meta.db_table

    def common(alias: str) -> tuple[str, list[SQLParam]]:
        parts = [f"{alias}.active", "m.status = %s"]
        params: list[SQLParam] = [MemberStatus.ACTIVE]
        if facets.type_bit is None:
            parts.append(f"{alias}.event_type_mask = 0")
        else:
            parts.append(f"({alias}.event_type_mask = 0 OR ({alias}.event_type_mask & %s) <> 0)")
            params.append(facets.type_bit)
        if facets.severity_rank is not None:
            parts.append(f"{alias}.min_severity_rank <= %s")
            params.append(facets.severity_rank)
        if facets.authorised_in is not None:
            if facets.authorised_in:
                parts.append(
                    f"(NOT {alias}.authorised_in_my_jurisdiction OR m.country IN "
                    f"({_placeholders(facets.authorised_in)}))"
                )
                params.extend(facets.authorised_in)
            else:
                parts.append(f"NOT {alias}.authorised_in_my_jurisdiction")
        # The audience: the members whose feed the event was numbered in when it was recorded.
        parts.append(f"m.id IN (SELECT a.member_id FROM {audience} a WHERE a.event_id = %s)")  # noqa: S608
        params.append(Event._meta.pk.get_db_prep_value(event.pk, connection))
        return " AND ".join(parts), params

    applicable = 0
    keys: list[str] = []
    for dimension, values in facets.lists.items():
        if values is None:
            continue
        applicable |= dimension_bit(dimension)
        keys.extend(term_key(dimension, value) for value in values)

    where, params = common("s")
    # Only table names (from the models) and placeholders are formatted in; every value is a parameter.
    sql = f"SELECT s.id, s.member_id FROM {subscriptions} s JOIN {members} m ON m.id = s.member_id WHERE {where}"  # noqa: S608
    if applicable:
        free = _submasks(ALL_TERM_BITS & ~applicable)
        sql += f" AND s.term_mask IN ({_placeholders(free)})"
        params += free
    if keys:
        where, term_params = common("t")
        sql += (
            f" UNION ALL SELECT t.subscription_id, t.member_id FROM {terms} t JOIN {members} m ON m.id = t.member_id"  # noqa: S608
            f" WHERE t.key IN ({_placeholders(keys)}) AND {where}"
            " GROUP BY t.subscription_id, t.member_id, t.term_mask"
            " HAVING SUM(DISTINCT 1 << t.dimension) = (t.term_mask & %s)"
        )
        params += [*keys, *term_params, applicable]
    return sql, params


def subscriptions_matching(event: Event) -> list[tuple[uuid.UUID, int]]:
    """(subscription id, member id) of the active subscriptions that match the event, of active
    members in its audience: one query."""
    query = _matching_sql(event)
    if query is None:
        return []
    sql, params = query
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if rows and not isinstance(rows[0][0], uuid.UUID):  # SQLite keeps UUIDs as hex text
        return [(uuid.UUID(str(pk)), member_id) for pk, member_id in rows]
    return [(pk, member_id) for pk, member_id in rows]


def members_matching(event: Event) -> set[int]:
    """Ids of the members (active, in the event's audience) with an active subscription matching it."""
    query = _matching_sql(event)
    if query is None:
        return set()
    sql, params = query
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT member_id FROM ({sql}) matches", params)  # noqa: S608
        return {row[0] for row in cursor.fetchall()}
