"""Immediate e-mails to the people of a member whose subscription matched (SPEC §10.4), by their
own preferences; in words, with a link, the deadline in their time zone and a footer."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from alerts.models import Acknowledgement, Tool
from exchange.models import Delivery, DeliveryAttempt, PersonalEmail
from exchange.services.preferences import preferences_update
from tests.alerts.factories import alert_published_make
from tests.exchange.notify.conftest import SITE, fan_out_all, send, subscribe
from tests.factories import Network

UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
URL = re.compile(r"https?://\S+")
RAW_VALUES = ("performance_degradation", "field_safety_notice", "daily_digest", "alert.published", "alert.critical",
              "not_applicable", "critical_care")


def words_of(text: str) -> str:
    """The text a person reads: links are addresses, not words."""
    return URL.sub("", text)


def assert_in_words(*texts: str) -> None:
    for text in texts:
        readable = words_of(text)
        assert not UUID.search(readable), readable
        for raw in RAW_VALUES:
            assert raw not in readable, (raw, readable)


def to(address: str) -> list[Any]:
    return [m for m in mail.outbox if m.to == [address]]


def prefer(user: Any, **changes: Any) -> None:
    preferences_update(actor=user, user=user, changes=changes)


def test_a_critical_alert_reaches_each_user_at_once_by_default(network: Network, sepsis_tool: Tool) -> None:
    subscribe(network.fda)
    alert = alert_published_make(actor=network.mhra.publisher, tools=[sepsis_tool], severity="critical",
                                 title="Missed sepsis onsets after the <b>3.2</b> update",
                                 affected_jurisdictions=["US"])
    fan_out_all()
    send()

    fda = sorted(m.to[0] for m in mail.outbox if m.to[0].endswith("@fda.test"))
    assert fda == ["admin@fda.test", "assessor@fda.test", "publisher@fda.test", "viewer@fda.test"]
    assert not [m for m in mail.outbox if m.to[0].endswith("@hc.test")]  # HC has no subscription
    message = to("viewer@fda.test")[0]
    html = message.alternatives[0][0]
    assert message.subject == (f"[AI Safety Alert Exchange] Safety alert published: {alert.reference} (critical, "
                               "SepsisWatch Predict): Missed sepsis onsets after the <b>3.2</b> update")
    assert "Performance degradation" in message.body
    assert "Critical" in message.body
    assert f"{SITE}/alerts/{alert.pk}/" in message.body
    assert f'href="{SITE}/alerts/{alert.pk}/"' in html
    assert "&lt;b&gt;3.2&lt;/b&gt;" in html
    assert "<b>3.2</b>" not in html
    assert "a subscription of FDA matched it" in message.body
    assert f"{SITE}/accounts/notifications/" in message.body
    assert f"{SITE}/accounts/notifications/" in html
    assert_in_words(message.subject, message.body, html)
    # Each is a delivery with its attempt, through the one e-mail path.
    row = PersonalEmail.objects.get(user=network.fda.viewer)
    assert row.delivery is not None
    assert row.delivery.state == "succeeded"
    assert DeliveryAttempt.objects.filter(delivery=row.delivery).count() == 1


def test_the_deadline_is_shown_in_the_recipients_time_zone(network: Network, sepsis_tool: Tool) -> None:
    subscribe(network.fda)
    prefer(network.fda.viewer, timezone="America/Los_Angeles")
    prefer(network.fda.admin, timezone="Asia/Tokyo")
    alert = alert_published_make(actor=network.mhra.publisher, tools=[sepsis_tool], severity="critical",
                                 affected_jurisdictions=["US"])
    deadline = Acknowledgement.objects.get(alert=alert, member=network.fda.member).deadline
    assert deadline is not None
    fan_out_all()
    send()

    for address, zone in (("viewer@fda.test", "America/Los_Angeles"), ("admin@fda.test", "Asia/Tokyo")):
        local = deadline.astimezone(ZoneInfo(zone))
        body = to(address)[0].body
        assert f"Acknowledge by: {local:%A} {local.day} {local:%B %Y, %H:%M} ({zone})" in body, body


@pytest.mark.parametrize(("mode", "immediate"), [("immediate", 1), ("daily_digest", 0), ("off", 0)])
def test_each_preference_value_decides_the_immediate_email(
    network: Network, tool: Tool, mode: str, immediate: int
) -> None:
    subscribe(network.fda)
    prefer(network.fda.viewer, items={"alert.medium": mode})
    alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="medium")
    fan_out_all()
    send()

    assert len(to("viewer@fda.test")) == immediate
    assert len(to("admin@fda.test")) == 0  # the default for medium alerts is the digest


def test_shared_mailboxes_of_a_subscription_stay_as_they_are(network: Network, tool: Tool) -> None:
    # Alerts only: the tool's authorisations are registry news (authorisation.changed) to every member.
    subscribe(network.fda, email_recipients=["vigilance@fda.test"], event_types=["alert.published"])
    prefer(network.fda.viewer, items={"alert.low": "off"})
    alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="low")
    fan_out_all()
    send()

    assert [m.to for m in mail.outbox] == [["vigilance@fda.test"]]
    assert Delivery.objects.filter(email="vigilance@fda.test", event__isnull=False).count() == 1


def test_a_member_that_cannot_see_the_alert_gets_nothing(network: Network, tool: Tool) -> None:
    subscribe(network.fda)
    subscribe(network.hc)
    alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="critical",
                         distribution="restricted", recipients=["HC"])
    fan_out_all()
    send()

    assert {m.to[0].split("@")[1] for m in mail.outbox} == {"hc.test"}


def test_fan_out_run_again_writes_no_email_twice(network: Network, tool: Tool) -> None:
    from exchange.services.fanout import event_fan_out
    from tests.exchange.notify.conftest import alert_event

    subscribe(network.fda)
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="critical")
    event = alert_event(alert)
    fan_out_all()
    event.dispatched_at = None
    event.save(update_fields=["dispatched_at"])
    event_fan_out(event_id=event.pk)  # a redelivered dispatch task
    send()

    assert len(to("viewer@fda.test")) == 1


def test_the_cap_holds_the_rest_for_one_and_n_more_email_at_the_end_of_the_hour(
    network: Network, tool: Tool, settings: Any
) -> None:
    from exchange.services.digests import digests_send

    settings.EMAIL_IMMEDIATE_PER_HOUR = 2
    subscribe(network.fda)
    for number in range(5):
        alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="critical",
                             title=f"Critical finding number {number}")
    fan_out_all()
    send()
    assert len(to("viewer@fda.test")) == 2
    held = PersonalEmail.objects.filter(user=network.fda.viewer, held=True)
    assert held.count() == 3
    created = held.first().created_at  # type: ignore[union-attr]

    mail.outbox.clear()
    digests_send(now=created)  # the hour has not ended: nothing yet
    send()
    assert to("viewer@fda.test") == []

    end_of_hour = created.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1, minutes=1)
    digests_send(now=end_of_hour)
    digests_send(now=end_of_hour + timedelta(minutes=5))  # a second run sends nothing twice
    send()

    summary = to("viewer@fda.test")
    assert len(summary) == 1
    assert summary[0].subject.startswith("[AI Safety Alert Exchange] And 3 more: notifications held back from ")
    for number in (2, 3, 4):
        assert f"Critical finding number {number}" in summary[0].body
    assert "Critical finding number 0" not in summary[0].body
    assert_in_words(summary[0].subject, summary[0].body, summary[0].alternatives[0][0])
    assert not PersonalEmail.objects.filter(held=True).exists()


def test_an_email_reaches_a_real_smtp_server_with_both_parts(network: Network, tool: Tool, smtp: Any) -> None:
    subscribe(network.fda)
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="high")
    fan_out_all()
    send()

    received = [m for m in smtp.messages if m["To"] == "viewer@fda.test"]
    assert len(received) == 1
    message = received[0]
    assert alert.reference in message["Subject"]
    assert "high" in message["Subject"]
    assert message["Message-ID"].endswith("@exchange.example>")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"{SITE}/alerts/{alert.pk}/" in text
    assert f"{SITE}/alerts/{alert.pk}/" in html
    assert_in_words(str(message["Subject"]), text, html)
    delivery = PersonalEmail.objects.get(user=network.fda.viewer).delivery
    assert delivery is not None
    assert delivery.state == "succeeded"
