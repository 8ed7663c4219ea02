"""A claim leases a fan-out's fresh rows in place: the table keeps room on each page for every row's
next version (exchange/migrations/0008_delivery_fillfactor_40.py), so that PostgreSQL updates the
lease without moving the row and writing its six indexes again (a HOT update)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection

from exchange.models import Delivery, WebhookEndpoint
from exchange.services.deliveries import deliveries_claim
from tests.exchange.fanout.helpers import publish, subscribe
from tests.factories import Network

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ENDPOINTS = 120  # six pages of fresh rows at 40 %; at 60 % five, where a third of the rows moved


def _updates() -> tuple[int, int]:
    """This transaction's updates of exchange_delivery so far: (all, in place)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated(%s::regclass), pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
            ["exchange_delivery", "exchange_delivery"],
        )
        updated, hot = cursor.fetchone()
    return int(updated), int(hot)


def test_a_claim_leases_every_row_of_a_fresh_fan_out_in_place(network: Network, settings: Any) -> None:
    settings.DELIVERY_MAX_IN_FLIGHT = 1  # one row written leased to the first pump, the others left to claims
    endpoints = WebhookEndpoint.objects.bulk_create(
        WebhookEndpoint(member=network.fda.member, url=f"https://hooks.fda.test/{index}", secret="whsec_" + "A" * 44)
        for index in range(ENDPOINTS)
    )
    subscribe(network.fda, endpoints)
    publish()
    assert Delivery.objects.filter(lease_token__isnull=True).count() == ENDPOINTS - 1
    before = _updates()

    claimed = deliveries_claim(token=uuid.uuid4(), limit=ENDPOINTS)

    updated, hot = (after - earlier for after, earlier in zip(_updates(), before, strict=True))
    assert len(claimed) == updated == ENDPOINTS - 1
    assert hot == updated, f"{updated - hot} of {updated} claimed rows moved to another page"
