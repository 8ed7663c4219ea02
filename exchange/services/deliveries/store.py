"""The delivery store: the few writes and reads of deliveries that PostgreSQL does in one statement
and other databases (the embedded SQLite default) through the ORM. Chosen once, by
`settings.DELIVERY_STORE` ("postgres" when the database is PostgreSQL, "orm" otherwise).

Only what really differs lives here — claiming (a ranked, `SKIP LOCKED` lease in one statement),
reading what fan-out wrote leased to a pump, recording a batch of attempts and its endpoints' failing
spells, writing an event's webhook deliveries, and a median. Everything the ORM does the same on both databases is written
once with the ORM by the services that call the store. Both stores run under pytest against the
same PostgreSQL database (the `orm` store works there too); `postgres` refuses any other database.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Hashable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Model, QuerySet

from exchange.json_types import SQLParam
from exchange.services.deliveries.leases import AttemptRow, ClaimQuery, LeasedDelivery, WebhookRows
from exchange.services.deliveries.store_orm import OrmStore
from exchange.services.deliveries.store_postgres import PostgresStore

M = TypeVar("M", bound=Model)


class DeliveryStore(Protocol):
    name: str

    def claim(self, query: ClaimQuery) -> list[LeasedDelivery]:
        """Lease what `query` asks for and return it with its targets, oldest due first."""

    def adopt(self, *, token: uuid.UUID, event_id: uuid.UUID, now: datetime) -> list[LeasedDelivery]:
        """The event's deliveries written leased to `token`, still leased and open, with their targets."""

    def attempts_record(self, *, token: uuid.UUID, rows: Sequence[AttemptRow], now: datetime) -> None:
        """Log every attempt; move on the deliveries still leased to `token` (a lost lease keeps its log entry)."""

    def failing_spells_update(self, *, ended: Collection[uuid.UUID], started: Collection[uuid.UUID],
                              now: datetime) -> None:
        """End the failing spell of each `ended` endpoint that has one; start one at `now` for each
        `started` endpoint that has none."""

    def webhook_deliveries_write(self, rows: WebhookRows) -> int:
        """Write the webhook deliveries not written yet (unique per event and endpoint); how many were written."""

    def median_seconds(self, rows: QuerySet[M], *, group: str, start: str, end: str) -> dict[Hashable, float]:
        """Per value of `group`: the median of `end - start` in seconds over `rows` (both set)."""

    def counters_add(self, model: type[Model], *, key: Sequence[str], counters: Sequence[str],
                     rows: Sequence[Sequence[SQLParam]], constraint: str) -> None:
        """Add each row's counters (after its key's values) to the row of `model` with that key, created
        if missing; a null in the key matches a null (`constraint`: unique over `key`, nulls not
        distinct). Concurrent additions to one key add up, whatever the interleaving."""


STORES: dict[str, DeliveryStore] = {"postgres": PostgresStore(), "orm": OrmStore()}


def delivery_store() -> DeliveryStore:
    """The store `settings.DELIVERY_STORE` names."""
    name = settings.DELIVERY_STORE
    store = STORES.get(name)
    if store is None:
        raise ImproperlyConfigured(f"DELIVERY_STORE must be one of {', '.join(STORES)}, not {name!r}")
    if name == "postgres" and connection.vendor != "postgresql":
        raise ImproperlyConfigured(f"DELIVERY_STORE 'postgres' needs PostgreSQL, not {connection.vendor}")
    return store
