"""The demo: HC and MHRA each hold an authorisation relying on FDA's, and HC has an open review."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from alerts.models import Authorization, RelianceReview


@pytest.mark.django_db
def test_the_demo_shows_reliance_routes_and_an_open_review() -> None:
    call_command("seed_demo", "--no-tokens", stdout=StringIO())

    relying = Authorization.objects.filter(route="reliance").select_related("recorded_by", "relies_on__recorded_by")
    assert sorted((a.recorded_by.code, a.relies_on.recorded_by.code) for a in relying) == [("HC", "FDA"), ("MHRA", "FDA")]
    open_reviews = RelianceReview.objects.filter(status="open").select_related("relying_member", "alert")
    assert {review.relying_member.code for review in open_reviews} >= {"HC"}
    assert all(review.alert.publisher.code == "FDA" for review in open_reviews if review.alert)
