"""The inbox (SPEC §6): requested, incomplete acknowledgements, most urgent first (severity, then deadline)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.models import Alert
from alerts.services.acknowledgements import acknowledgement_extend_deadline
from alerts.services.alerts import alert_close, alert_withdraw
from tests.alerts.acknowledgements.conftest import answer
from tests.factories import Network
from tests.helpers import ApiCaller

Callers = Callable[..., ApiCaller]


def _titles(caller: ApiCaller, **query: object) -> list[str]:
    titles: list[str] = []
    url: str | None = "/api/v1/inbox/"
    params: dict[str, object] | None = query
    while url:
        response = caller.get(url, params)
        assert response.status_code == 200, response.content
        body = response.json()
        titles += [item["title"] for item in body["results"]]
        url, params = body["next"], None
    return titles


def test_most_urgent_first_severity_then_deadline(network: Network, publish: Callable[..., Alert],
                                                  callers: Callers) -> None:
    publish(title="low", severity="low")
    high_later = publish(title="high, later deadline", severity="high")
    publish(title="critical", severity="critical")
    publish(title="medium", severity="medium")
    publish(title="high, sooner deadline", severity="high")
    # Extending the first high alert's deadline puts the other one (published later) before it.
    acknowledgement_extend_deadline(actor=network.mhra.publisher, alert=high_later, member_code="FDA",
                                    deadline=timezone.now() + timedelta(days=30))
    expected = ["critical", "high, sooner deadline", "high, later deadline", "medium", "low"]

    assert _titles(callers("FDA", "viewer")) == expected
    assert _titles(callers("FDA", "viewer"), limit=2) == expected  # the cursor keeps the order across pages


def test_the_inbox_item_carries_the_alert_and_the_acknowledgement(alert: Alert, callers: Callers) -> None:
    item = callers("FDA", "viewer").get("/api/v1/inbox/").json()["results"][0]

    assert item["kind"] == "alert"
    assert (item["id"], item["reference"], item["severity"], item["publisher"]) == (
        str(alert.pk), alert.reference, "high", "MHRA",
    )
    ack = item["acknowledgement"]
    assert (ack["member"], ack["requested"], ack["state"], ack["overdue"]) == ("FDA", True, None, False)
    assert ack["deadline"] is not None


def test_answered_but_incomplete_stays_complete_leaves(network: Network, publish: Callable[..., Alert],
                                                       callers: Callers) -> None:
    received = publish(title="received")
    assessing = publish(title="assessing")
    acted = publish(title="acted")
    not_applicable = publish(title="not applicable")
    answer(network.fda.assessor, received, "received")
    answer(network.fda.assessor, assessing, "assessing")
    answer(network.fda.assessor, acted, "action_taken")
    answer(network.fda.assessor, not_applicable, "not_applicable")

    assert sorted(_titles(callers("FDA"))) == ["assessing", "received"]


def test_closed_and_withdrawn_alerts_leave_the_inbox(network: Network, publish: Callable[..., Alert],
                                                     callers: Callers) -> None:
    alert_close(actor=network.mhra.publisher, alert=publish(title="closed"), resolution="Fixed.")
    alert_withdraw(actor=network.mhra.publisher, alert=publish(title="withdrawn"), reason="Issued in error.")
    publish(title="open")

    assert _titles(callers("FDA")) == ["open"]


def test_each_member_sees_only_its_own_requests(network: Network, publish: Callable[..., Alert],
                                                callers: Callers) -> None:
    publish(title="for FDA", affected_jurisdictions=["US"])
    publish(title="for HC", affected_jurisdictions=["CA"])
    publish(title="FDA's own", affected_jurisdictions=["US", "CA"], actor=network.fda.publisher)

    assert _titles(callers("FDA")) == ["for FDA"]
    assert sorted(_titles(callers("HC"))) == ["FDA's own", "for HC"]
    assert _titles(callers("MHRA")) == []
    assert _titles(callers("SMC")) == []


def test_staff_without_a_member_get_a_403(network: Network) -> None:
    client = APIClient()
    client.force_login(network.staff)

    assert client.get("/api/v1/inbox/").status_code == 403


def test_the_navigation_count_stops_at_its_cap_and_hides_what_an_outsider_may_not_see(
    network: Network, publish: Callable[..., Alert], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.test import Client

    from alerts.templatetags import alerts_portal

    for severity in ("low", "high", "critical"):
        publish(title=f"{severity} for FDA", severity=severity, affected_jurisdictions=["US"])
    publish(title="restricted to HC", distribution="restricted", recipients=["HC"], affected_jurisdictions=["CA"])
    fda = Client()
    fda.force_login(network.fda.viewer)
    assert '<span class="nav-count">3<' in fda.get("/").content.decode()  # not the alert restricted to HC

    monkeypatch.setattr(alerts_portal, "NAV_COUNT_CAP", 2)
    assert '<span class="nav-count">2+<' in fda.get("/").content.decode()
