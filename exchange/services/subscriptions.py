"""Subscriptions: what a member wants to hear about, and the one query that finds an event's recipients.

Matching works on the event alone (its type, audience and routing facets), never on alerts or
reports. A filter applies when the event carries the facet it filters on: an empty filter list
means "no filter on that field", and a facet the event does not carry (an `endpoint.disabled`
event has no severity, a report no alert type) does not restrict the match.

The recipients are found by the database in one query (see `_matching_sql`), read from two
covering indexes; never a Python loop over subscriptions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import connection

from exchange.choices import (
    ALERT_TYPES,
    EVENT_TYPE_BITS,
    SEVERITY_RANKS,
    AudienceKind,
    EventType,
    MemberStatus,
)
from exchange.errors import ValidationFailed
from exchange.models import (
    Dimension,
    Event,
    EventAudience,
    Member,
    Subscription,
    SubscriptionEndpoint,
    SubscriptionTerm,
    User,
    WebhookEndpoint,
)
from exchange.selectors import one_or_404
from exchange.services.audit import audit_record
from exchange.services.chain import audited_write

MAX_FILTER_VALUES = 200
MAX_EMAIL_RECIPIENTS = 20
SUBSCRIBABLE_EVENT_TYPES: tuple[str, ...] = tuple(t for t in EventType.values if t != EventType.PING)


def _text(value: Any) -> str:
    return " ".join(str(value).split())


def normalise_tool(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        return _text(value).lower()


def normalise_lower(value: Any) -> str:
    return _text(value).lower()


def normalise_upper(value: Any) -> str:
    return _text(value).upper()


@dataclass(frozen=True)
class ListFilter:
    """A list filter: its subscription field, its term dimension, the event facet it tests."""

    field: str
    dimension: Dimension
    facet: str
    normalise: Callable[[Any], str]


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


def _as_list(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, list | tuple | set):
        return [item for item in value if item is not None and str(item).strip() != ""]
    return [value] if str(value).strip() != "" else []


def routing_facets(event: Event) -> RoutingFacets:
    facets: dict[str, Any] = event.facets if isinstance(event.facets, dict) else {}
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
        severity_rank=SEVERITY_RANKS.get(str(severity).lower()) if severity is not None else None,
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


def _placeholders(values: list[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _matching_sql(event: Event) -> tuple[str, list[Any]] | None:
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
    audience = EventAudience._meta.db_table

    def common(alias: str) -> tuple[str, list[Any]]:
        parts = [f"{alias}.active", "m.status = %s"]
        params: list[Any] = [MemberStatus.ACTIVE]
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
        if event.audience_kind == AudienceKind.MEMBERS:
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


# --- managing subscriptions ----------------------------------------------------------------------


def _subscription_state(subscription: Subscription, endpoint_ids: Iterable[Any]) -> dict[str, Any]:
    return {
        "name": subscription.name,
        "active": subscription.active,
        "event_types": subscription.event_types,
        "alert_types": subscription.alert_types,
        "min_severity": subscription.min_severity,
        "tools": subscription.tools,
        "manufacturers": subscription.manufacturers,
        "clinical_areas": subscription.clinical_areas,
        "jurisdictions": subscription.jurisdictions,
        "publishers": subscription.publishers,
        "authorised_in_my_jurisdiction": subscription.authorised_in_my_jurisdiction,
        "webhook_endpoints": sorted(str(pk) for pk in endpoint_ids),
        "email_recipients": subscription.email_recipients,
    }


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _clean_list(field: str, values: Any, errors: dict[str, list[str]]) -> list[Any]:
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        errors[field] = ["must be a list"]
        return []
    if len(values) > MAX_FILTER_VALUES:
        errors[field] = [f"at most {MAX_FILTER_VALUES} values"]
        return []
    return list(values)


def _clean(member: Member, data: dict[str, Any]) -> tuple[dict[str, Any], list[WebhookEndpoint]]:
    """Validate and normalise the fields given; raises ValidationFailed listing every bad field."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "name" in data:
        name = _text(data["name"] or "")
        if not name:
            errors["name"] = ["must not be blank"]
        elif len(name) > 200:
            errors["name"] = ["at most 200 characters"]
        clean["name"] = name
    if "active" in data:
        clean["active"] = bool(data["active"])
    if "authorised_in_my_jurisdiction" in data:
        clean["authorised_in_my_jurisdiction"] = bool(data["authorised_in_my_jurisdiction"])
    if "event_types" in data:
        types = [str(t).strip() for t in _clean_list("event_types", data["event_types"], errors)]
        unknown = [t for t in types if t not in SUBSCRIBABLE_EVENT_TYPES]
        if unknown:
            errors["event_types"] = [
                f"unknown event type {t!r}; choose among {', '.join(SUBSCRIBABLE_EVENT_TYPES)}" for t in unknown
            ]
        clean["event_types"] = _unique(types)
    if "min_severity" in data:
        severity = data["min_severity"]
        if severity in (None, ""):
            clean["min_severity"] = None
        elif str(severity).lower() not in SEVERITY_RANKS:
            errors["min_severity"] = [f"choose one of {', '.join(SEVERITY_RANKS)} (or null)"]
        else:
            clean["min_severity"] = str(severity).lower()
    for list_filter in LIST_FILTERS:
        if list_filter.field not in data:
            continue
        values = _clean_list(list_filter.field, data[list_filter.field], errors)
        normalised = _unique(list_filter.normalise(v) for v in values if str(v).strip())
        if any(len(v) > 200 for v in normalised):
            errors[list_filter.field] = ["values are at most 200 characters"]
        clean[list_filter.field] = normalised
    if "alert_types" in clean:
        unknown = [t for t in clean["alert_types"] if t not in ALERT_TYPES]
        if unknown:
            errors["alert_types"] = [f"unknown alert type {t!r}; choose among {', '.join(ALERT_TYPES)}" for t in unknown]
    if "tools" in clean:
        bad = [t for t in clean["tools"] if not _is_uuid(t)]
        if bad:
            errors["tools"] = [f"{t!r} is not a tool id (a UUID)" for t in bad]
    if "jurisdictions" in clean:
        bad = [j for j in clean["jurisdictions"] if len(j) != 2 or not j.isalpha()]
        if bad:
            errors["jurisdictions"] = [f"{j!r} is not an ISO 3166-1 alpha-2 code (or EU)" for j in bad]
    if clean.get("publishers"):
        known = set(Member.objects.filter(code__in=clean["publishers"]).values_list("code", flat=True))
        unknown = [code for code in clean["publishers"] if code not in known]
        if unknown:
            errors["publishers"] = [f"no member with code {code!r}" for code in unknown]
    if "email_recipients" in data:
        emails = _clean_list("email_recipients", data["email_recipients"], errors)
        cleaned_emails = _unique(str(e).strip().lower() for e in emails if str(e).strip())
        if len(cleaned_emails) > MAX_EMAIL_RECIPIENTS:
            errors["email_recipients"] = [f"at most {MAX_EMAIL_RECIPIENTS} addresses"]
        for address in cleaned_emails:
            try:
                validate_email(address)
            except DjangoValidationError:
                errors.setdefault("email_recipients", []).append(f"{address!r} is not an e-mail address")
        clean["email_recipients"] = cleaned_emails
    endpoints: list[WebhookEndpoint] = []
    if "webhook_endpoints" in data:
        raw = _clean_list("webhook_endpoints", data["webhook_endpoints"], errors)
        ids: list[uuid.UUID] = []
        for value in raw:
            try:
                ids.append(uuid.UUID(str(value)))
            except ValueError:
                errors.setdefault("webhook_endpoints", []).append(f"{value!r} is not an endpoint id")
        found = {e.pk: e for e in WebhookEndpoint.objects.filter(member=member, pk__in=ids)}
        for pk in ids:
            if pk not in found:
                errors.setdefault("webhook_endpoints", []).append(f"your member has no webhook endpoint {pk}")
        endpoints = [found[pk] for pk in dict.fromkeys(ids) if pk in found]
    if errors:
        field, messages = next(iter(errors.items()))
        raise ValidationFailed(f"{field}: {messages[0]}", errors=errors)
    return clean, endpoints


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _apply(subscription: Subscription, clean: dict[str, Any]) -> None:
    for field, value in clean.items():
        setattr(subscription, field, value)
    subscription.event_type_mask = 0
    for event_type in subscription.event_types:
        subscription.event_type_mask |= EVENT_TYPE_BITS[event_type]
    subscription.min_severity_rank = SEVERITY_RANKS.get(subscription.min_severity or "", 0)
    subscription.term_mask = 0
    for list_filter in LIST_FILTERS:
        if getattr(subscription, list_filter.field):
            subscription.term_mask |= dimension_bit(list_filter.dimension)


def _write_terms(subscription: Subscription) -> None:
    SubscriptionTerm.objects.filter(subscription=subscription).delete()
    SubscriptionTerm.objects.bulk_create(terms_for(subscription))


def terms_for(subscription: Subscription) -> list[SubscriptionTerm]:
    """The term rows of a subscription, carrying copies of its scalar conditions."""
    return [
        SubscriptionTerm(
            subscription=subscription,
            member_id=subscription.member_id,
            dimension=list_filter.dimension,
            key=term_key(list_filter.dimension, value),
            active=subscription.active,
            event_type_mask=subscription.event_type_mask,
            min_severity_rank=subscription.min_severity_rank,
            term_mask=subscription.term_mask,
            authorised_in_my_jurisdiction=subscription.authorised_in_my_jurisdiction,
        )
        for list_filter in LIST_FILTERS
        for value in getattr(subscription, list_filter.field)
    ]


def _write_endpoints(subscription: Subscription, endpoints: list[WebhookEndpoint]) -> None:
    SubscriptionEndpoint.objects.filter(subscription=subscription).delete()
    SubscriptionEndpoint.objects.bulk_create(
        [SubscriptionEndpoint(subscription=subscription, endpoint=endpoint) for endpoint in endpoints]
    )


def _endpoint_ids(subscription: Subscription) -> list[Any]:
    return list(
        SubscriptionEndpoint.objects.filter(subscription=subscription).values_list("endpoint_id", flat=True)
    )


FIELDS = (
    "name", "active", "event_types", "alert_types", "min_severity", "tools", "manufacturers",
    "clinical_areas", "jurisdictions", "publishers", "authorised_in_my_jurisdiction",
    "webhook_endpoints", "email_recipients",
)


@audited_write
def subscription_create(*, actor: User | None, member: Member, **data: Any) -> Subscription:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationFailed(f"Unknown field(s) {', '.join(sorted(unknown))}.")
    if not str(data.get("name") or "").strip():
        raise ValidationFailed("name: a subscription needs a name.", errors={"name": ["required"]})
    defaults: dict[str, Any] = {field: [] for field in FIELDS}
    defaults.update(name="", active=True, min_severity=None, authorised_in_my_jurisdiction=False)
    clean, endpoints = _clean(member, {**defaults, **data})
    subscription = Subscription(member=member)
    _apply(subscription, clean)
    subscription.save()
    _write_terms(subscription)
    _write_endpoints(subscription, endpoints)
    audit_record(
        actor=actor, action="subscription.created", object_type="subscription", object_id=subscription.pk,
        after=_subscription_state(subscription, [e.pk for e in endpoints]), member_code=member.code,
    )
    return subscription


@audited_write
def subscription_update(*, actor: User | None, subscription: Subscription, **changes: Any) -> Subscription:
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValidationFailed(f"Unknown field(s) {', '.join(sorted(unknown))}.")
    subscription = Subscription.objects.select_for_update(of=("self",)).select_related("member").get(pk=subscription.pk)
    before = _subscription_state(subscription, _endpoint_ids(subscription))
    clean, endpoints = _clean(subscription.member, changes)
    _apply(subscription, clean)
    subscription.save()
    _write_terms(subscription)
    if "webhook_endpoints" in changes:
        _write_endpoints(subscription, endpoints)
    after = _subscription_state(subscription, _endpoint_ids(subscription))
    if after != before:
        audit_record(
            actor=actor, action="subscription.updated", object_type="subscription", object_id=subscription.pk,
            before=before, after=after, member_code=subscription.member.code,
        )
    return subscription


@audited_write
def subscription_delete(*, actor: User | None, subscription: Subscription) -> None:
    subscription = Subscription.objects.select_for_update(of=("self",)).select_related("member").get(pk=subscription.pk)
    before = _subscription_state(subscription, _endpoint_ids(subscription))
    code = subscription.member.code
    pk = subscription.pk
    subscription.delete()
    audit_record(
        actor=actor, action="subscription.deleted", object_type="subscription", object_id=pk,
        before=before, member_code=code,
    )


def subscription_get(*, member: Member, subscription_id: Any) -> Subscription:
    """One of the member's own subscriptions; another member's is not found (404)."""
    return one_or_404(Subscription.objects.all(), detail="No such subscription.", member=member, pk=subscription_id)
