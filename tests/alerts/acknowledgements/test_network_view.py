"""The network view (issue #5): per member and per alert, in the admin for network staff and through
`GET /api/v1/acknowledgement-stats/` for a member on what it published."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.utils import timezone

from alerts.ack_stats_selectors import (
    ack_stats_by_alert,
    ack_stats_by_member,
    acknowledgements_of_publisher,
)
from alerts.models import Acknowledgement, Alert
from tests.alerts.acknowledgements.conftest import answer
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem

Callers = Callable[..., ApiCaller]
STATS = "/api/v1/acknowledgement-stats/"


def _answered_after(alert: Alert, code: str, hours: float) -> None:
    """Pretend the member's first answer came `hours` after the request."""
    ack = Acknowledgement.objects.get(alert=alert, member__code=code)
    assert ack.requested_at is not None
    Acknowledgement.objects.filter(pk=ack.pk).update(acknowledged_at=ack.requested_at + timedelta(hours=hours))


@pytest.fixture
def answered(network: Network, publish: Callable[..., Alert]) -> dict[str, Alert]:
    """Three MHRA alerts asked of FDA and HC, answered after known delays; one FDA alert asked of MHRA."""
    alerts = {name: publish(title=name, affected_jurisdictions=["US", "CA"]) for name in ("one", "two", "three")}
    for name, fda_hours, hc_hours in (("one", 2, 10), ("two", 4, None), ("three", 30, None)):
        answer(network.fda.assessor, alerts[name], "action_taken" if name == "one" else "received")
        _answered_after(alerts[name], "FDA", fda_hours)
        if hc_hours is not None:
            answer(network.hc.assessor, alerts[name], "not_applicable")
            _answered_after(alerts[name], "HC", hc_hours)
    # HC is late on "two": its deadline has passed.
    Acknowledgement.objects.filter(alert=alerts["two"], member__code="HC").update(
        deadline=timezone.now() - timedelta(hours=1)
    )
    answer(network.smc.assessor, alerts["one"], "received")  # not asked: counts as acknowledged, no median
    alerts["fda's own"] = publish(actor=network.fda.publisher, title="fda's own", affected_jurisdictions=["GB"])
    answer(network.mhra.assessor, alerts["fda's own"], "received")
    return alerts


def _rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["member"]: row for row in body["results"]}


def test_a_publisher_sees_each_member_on_its_own_alerts(answered: dict[str, Alert], callers: Callers) -> None:
    response = callers("MHRA", "viewer").get(STATS)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["next"], body["previous"]) == (None, None)
    rows = _rows(body)
    assert list(rows) == ["FDA", "HC", "SMC"]  # MHRA answered FDA's alert, which is not MHRA's
    assert {k: v for k, v in rows["FDA"].items() if k != "name"} == {
        "member": "FDA", "requested": 3, "acknowledged": 3, "acted": 1, "not_applicable": 0, "overdue": 0,
        "median_hours_to_acknowledge": 4.0,
    }
    assert rows["FDA"]["name"] == "U.S. Food and Drug Administration"
    assert (rows["HC"]["requested"], rows["HC"]["acknowledged"], rows["HC"]["overdue"]) == (3, 1, 1)
    assert rows["HC"]["median_hours_to_acknowledge"] == 10.0
    assert (rows["SMC"]["requested"], rows["SMC"]["acknowledged"]) == (0, 1)
    assert rows["SMC"]["median_hours_to_acknowledge"] is None


def test_the_median_is_the_middle_answer_time_or_the_mean_of_the_two_middle_ones(
    store: str, answered: dict[str, Alert], network: Network
) -> None:
    """The same medians from each delivery store (PostgreSQL's percentile_cont; Python's elsewhere)."""
    answer(network.hc.assessor, answered["three"], "received")
    _answered_after(answered["three"], "HC", 20.5)  # HC's answers to its requests: 10 and 20.5 hours

    rows = {row.member: row for row in ack_stats_by_member(
        acknowledgements=acknowledgements_of_publisher(member=network.mhra.member)
    )}

    assert rows["FDA"].median_hours_to_acknowledge == 4.0  # 2, 4 and 30 hours
    assert rows["HC"].median_hours_to_acknowledge == 15.25
    assert rows["SMC"].median_hours_to_acknowledge is None  # answered without being asked
    assert (rows["HC"].requested, rows["HC"].acknowledged) == (3, 2)


def test_another_member_sees_only_what_it_published(answered: dict[str, Alert], callers: Callers) -> None:
    fda_rows = _rows(callers("FDA").get(STATS).json())
    hc_rows = _rows(callers("HC").get(STATS).json())

    assert list(fda_rows) == ["MHRA"]
    assert (fda_rows["MHRA"]["requested"], fda_rows["MHRA"]["acknowledged"]) == (1, 1)
    assert hc_rows == {}


def test_the_view_filters_by_publication_time_and_kind(answered: dict[str, Alert], callers: Callers) -> None:
    future = (timezone.now() + timedelta(days=1)).isoformat()
    past = (timezone.now() - timedelta(days=1)).isoformat()
    mhra = callers("MHRA")

    assert mhra.get(STATS, {"published_after": future}).json()["results"] == []
    assert list(_rows(mhra.get(STATS, {"published_after": past, "published_before": future}).json())) == [
        "FDA", "HC", "SMC",
    ]
    assert list(_rows(mhra.get(STATS, {"kind": "alert"}).json())) == ["FDA", "HC", "SMC"]
    assert mhra.get(STATS, {"kind": "report"}).json()["results"] == []


@pytest.mark.parametrize(
    "query",
    [{"kind": "signal"}, {"published_after": "yesterday"},
     {"published_after": "2026-02-01T00:00:00Z", "published_before": "2026-01-01T00:00:00Z"}],
)
def test_bad_filters_are_a_400(network: Network, callers: Callers, query: dict[str, str]) -> None:
    assert_problem(callers("MHRA").get(STATS, query), 400, "validation-error")


def test_the_view_needs_credentials_and_a_member(network: Network, anon: ApiCaller) -> None:
    assert_problem(anon.get(STATS), 401)
    staff = Client()
    staff.force_login(network.staff)
    assert staff.get(STATS).status_code == 403


def test_the_queries_do_not_grow_with_the_data(answered: dict[str, Alert], callers: Callers,
                                              django_assert_max_num_queries: Any) -> None:
    mhra = callers("MHRA")
    mhra.get(STATS)  # warm the token's last-use stamp

    with django_assert_max_num_queries(6):
        assert mhra.get(STATS).status_code == 200


def test_per_alert_counts(answered: dict[str, Alert], network: Network) -> None:
    rows = {row["title"]: row for row in ack_stats_by_alert(acknowledgements=Acknowledgement.objects.all())}

    assert {k: rows["one"][k] for k in ("requested", "acknowledged", "acted", "not_applicable", "overdue")} == {
        "requested": 2, "acknowledged": 3, "acted": 1, "not_applicable": 1, "overdue": 0,
    }
    assert (rows["two"]["overdue"], rows["two"]["publisher"]) == (1, "MHRA")
    assert rows["fda's own"]["publisher"] == "FDA"


def test_overdue_now_ignores_completed_and_closed(answered: dict[str, Alert], network: Network) -> None:
    from alerts.services.alerts import alert_close

    everything = Acknowledgement.objects.all()
    assert {r.member: r.overdue for r in ack_stats_by_member(acknowledgements=everything)}["HC"] == 1

    alert_close(actor=network.mhra.publisher, alert=answered["two"], resolution="Fixed.")

    assert {r.member: r.overdue for r in ack_stats_by_member(acknowledgements=everything)}["HC"] == 0
    later = timezone.now() + timedelta(days=365)  # every request is past its deadline by then
    # "one" is complete for both, "two" is closed; "three" (and FDA's own alert, for MHRA) still wait.
    assert {r.member: r.overdue for r in ack_stats_by_member(acknowledgements=everything, now=later)} == {
        "FDA": 1, "HC": 1, "MHRA": 1, "SMC": 0,
    }
    assert acknowledgements_of_publisher(member=network.mhra.member).count() == 7


# --- the Django admin ---------------------------------------------------------------------------


@pytest.fixture
def staff_client(network: Network) -> Client:
    client = Client()
    client.force_login(network.staff)
    return client


def test_network_staff_see_the_network_view(answered: dict[str, Alert], staff_client: Client) -> None:
    response = staff_client.get("/admin/alerts/acknowledgement/network/")

    assert response.status_code == 200
    members = {row.member: row for row in response.context["members"]}
    assert set(members) == {"FDA", "HC", "MHRA", "SMC"}
    assert members["FDA"].median_hours_to_acknowledge == 4.0
    assert members["MHRA"].requested == 1
    assert {row["title"] for row in response.context["alerts"]} == {"one", "two", "three", "fda's own"}
    html = response.content.decode()
    assert 'id="per-member"' in html
    assert 'id="per-alert"' in html
    assert answered["one"].reference in html


def test_network_staff_browse_acknowledgements_read_only(answered: dict[str, Alert], staff_client: Client,
                                                         network: Network) -> None:
    staff_client_user = network.staff
    ack = Acknowledgement.objects.get(alert=answered["two"], member__code="HC")

    listing = staff_client.get("/admin/alerts/acknowledgement/")
    overdue = staff_client.get("/admin/alerts/acknowledgement/", {"overdue": "yes"})
    by_state = staff_client.get("/admin/alerts/acknowledgement/", {"state__exact": "action_taken"})
    detail = staff_client.get(f"/admin/alerts/acknowledgement/{ack.pk}/change/")

    assert listing.status_code == 200
    assert "/admin/alerts/acknowledgement/network/" in listing.content.decode()
    assert listing.context["cl"].result_count == Acknowledgement.objects.count()
    assert [a.pk for a in overdue.context["cl"].result_list] == [ack.pk]
    assert by_state.context["cl"].result_count == 1
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # read-only: no form to save
    model_admin = admin.site._registry[Acknowledgement]
    request = RequestFactory().get("/admin/")
    request.user = staff_client_user
    assert model_admin.has_view_permission(request, ack)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, ack)
    assert not model_admin.has_delete_permission(request, ack)


def test_member_users_cannot_open_the_admin(network: Network) -> None:
    client = Client()
    client.force_login(network.mhra.admin)

    response = client.get("/admin/alerts/acknowledgement/network/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_per_alert_counts_keep_the_newest_alerts_with_answers(answered: dict[str, Alert], network: Network) -> None:
    mhra = network.mhra.member
    acks = acknowledgements_of_publisher(member=mhra, kind="alert")
    own = Alert.objects.filter(publisher=mhra)
    newest_two = ack_stats_by_alert(acknowledgements=acks, limit=2, alerts=own)

    assert [row["title"] for row in newest_two] == ["three", "two"]  # newest publication first, FDA's not MHRA's
    assert newest_two == ack_stats_by_alert(acknowledgements=acks, limit=2)  # the same rows without the hint
    everything = ack_stats_by_alert(acknowledgements=acks, alerts=own)
    assert [row["title"] for row in everything] == ["three", "two", "one"]
    assert everything[2]["acknowledged"] == 3  # FDA, HC and SMC (not asked) answered "one"
