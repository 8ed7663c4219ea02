"""The daily digest (SPEC §10.4): one e-mail per user per day at its digest hour in its time zone,
grouped by kind, most urgent first, visibility re-checked when built, never empty, never twice —
also across a worker that died between sending and recording. `send_digests` and the periodic
task run the same code."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from alerts.models import Alert, Tool
from exchange import tasks
from exchange.models import Delivery, PersonalEmail, User
from exchange.services.digests import digests_send
from exchange.services.preferences import preferences_update
from tests.alerts.factories import alert_published_make
from tests.alerts.reports.conftest import report_make
from tests.exchange.notify.conftest import SITE, fan_out_all, send, subscribe
from tests.exchange.notify.test_immediate import assert_in_words
from tests.factories import Network

TOKYO = ZoneInfo("Asia/Tokyo")


def digest_due_now(user: User, zone: str = "Asia/Tokyo") -> datetime:
    """Set the user's digest hour to the current local hour there; returns a moment just after now."""
    now = timezone.now() + timedelta(seconds=1)
    preferences_update(actor=user, user=user, changes={"timezone": zone, "digest_hour": now.astimezone(ZoneInfo(zone)).hour})
    return now


def digests_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if m.to == [address] and "Daily digest" in m.subject]


def hide_from(alert: Alert, *codes_that_keep_it: str) -> None:
    """An alert withdrawn from a member's sight after it matched (e.g. its distribution corrected by staff)."""
    from alerts.models import AlertRecipient
    from exchange.models import Member

    Alert.objects.filter(pk=alert.pk).update(distribution="restricted")
    for member in Member.objects.filter(code__in=codes_that_keep_it):
        AlertRecipient.objects.get_or_create(alert=alert, member=member)


def test_one_digest_groups_several_kinds_most_urgent_first(network: Network, tool: Tool) -> None:
    viewer = network.fda.viewer
    subscribe(network.fda)
    preferences_update(actor=viewer, user=viewer, changes={"items": {"alert.critical": "daily_digest"}})
    low = alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="low", title="Low: a label typo")
    report = report_make(by=network.mhra, tool=tool)
    critical = alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="critical",
                                    title="Critical: missed nodules")
    medium = alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="medium",
                                  title="Medium: slower reads")
    fan_out_all()
    send()
    assert [m for m in mail.outbox if m.to == [viewer.email]] == []  # all of it waits for the digest
    now = digest_due_now(viewer)

    run = digests_send(now=now)
    send()

    assert run.digests >= 1
    digest = digests_to(viewer.email)
    assert len(digest) == 1
    message = digest[0]
    text, html = message.body, message.alternatives[0][0]
    headings = ["== Critical safety alerts ==", "== Medium-severity safety alerts ==",
                "== Low-severity safety alerts ==", "== Performance reports =="]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions), text
    for thing, path in ((critical, "alerts"), (medium, "alerts"), (low, "alerts"), (report, "reports")):
        assert f"{SITE}/{path}/{thing.pk}/" in text
        assert f'href="{SITE}/{path}/{thing.pk}/"' in html
    assert "LungScan AI" in text  # the report's tool, in words
    local = now.astimezone(TOKYO)
    assert message.subject.startswith(f"[AI Safety Alert Exchange] Daily digest for {local.day} {local:%B %Y}: ")
    assert "daily digest" in text
    assert f"{SITE}/accounts/notifications/" in text
    assert_in_words(message.subject, text, html)


def test_an_item_hidden_after_it_matched_is_left_out(network: Network, tool: Tool) -> None:
    viewer = network.fda.viewer
    subscribe(network.fda)
    hidden = alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="medium",
                                  title="Soon hidden from FDA")
    kept = alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="medium",
                                title="Still shown to FDA")
    fan_out_all()
    hide_from(hidden, "HC")
    now = digest_due_now(viewer)

    digests_send(now=now)
    send()

    [message] = digests_to(viewer.email)
    assert kept.title in message.body
    assert hidden.title not in message.body
    assert hidden.title not in message.alternatives[0][0]
    assert str(hidden.pk) not in message.body
    assert "1 medium-severity safety alerts" in message.subject


def test_a_digest_with_nothing_left_to_tell_is_never_sent(network: Network, tool: Tool) -> None:
    viewer = network.fda.viewer
    subscribe(network.fda)
    hidden = alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="medium")
    fan_out_all()
    hide_from(hidden)
    now = digest_due_now(viewer)

    run = digests_send(now=now)
    send()

    assert digests_to(viewer.email) == []
    assert run.empty >= 1
    marked = PersonalEmail.objects.get(user=viewer, kind="digest")
    assert marked.delivery is None  # the day is marked, nothing is sent


def test_a_digest_is_not_due_before_the_users_hour(network: Network, tool: Tool) -> None:
    viewer = network.fda.viewer
    subscribe(network.fda)
    alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="medium")
    fan_out_all()
    now = timezone.now() + timedelta(seconds=1)
    next_hour = (now.astimezone(TOKYO).hour + 1) % 24
    if next_hour == 0:
        pytest.skip("at 23:00 in Tokyo the next hour is tomorrow's")
    preferences_update(actor=viewer, user=viewer, changes={"timezone": "Asia/Tokyo", "digest_hour": next_hour})

    digests_send(now=now)
    send()

    assert digests_to(viewer.email) == []
    assert not PersonalEmail.objects.filter(user=viewer, kind="digest").exists()


def test_the_command_and_the_periodic_task_run_the_same_code_once(network: Network, tool: Tool) -> None:
    viewer = network.fda.viewer
    subscribe(network.fda)
    alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="low", title="Low: a label typo")
    fan_out_all()
    now = digest_due_now(viewer)

    call_command("send_digests", "--now", now.isoformat(), stdout=(out := __import__("io").StringIO()))
    again = tasks.digests_send.run()  # the periodic task, in the same hour
    call_command("send_digests", "--now", (now + timedelta(minutes=30)).isoformat(), stdout=out)
    send()

    assert "digests sent: " in out.getvalue()
    assert again["digests"] == 0
    assert len(digests_to(viewer.email)) == 1
    assert PersonalEmail.objects.filter(user=viewer, kind="digest").count() == 1


def test_a_crash_between_sending_and_recording_sends_no_second_digest(
    network: Network, tool: Tool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exchange.services.deliveries import pump as pump_module

    viewer = network.fda.viewer
    subscribe(network.fda)
    alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="medium", title="Medium: slower reads")
    fan_out_all()
    now = digest_due_now(viewer)
    digests_send(now=now)
    delivery = PersonalEmail.objects.get(user=viewer, kind="digest").delivery
    assert delivery is not None

    def crash(**_: Any) -> None:
        raise RuntimeError("the worker died between sending and recording")

    with monkeypatch.context() as patch:
        patch.setattr(pump_module, "deliveries_record", crash)
        with pytest.raises(RuntimeError):
            send()
    assert len(digests_to(viewer.email)) == 1  # it went out; nothing recorded it

    digests_send(now=now + timedelta(minutes=10))  # the next run in the hour writes nothing
    send()  # the delivery is still leased by the dead worker: nobody sends it
    assert PersonalEmail.objects.filter(user=viewer, kind="digest").count() == 1
    assert Delivery.objects.filter(email=viewer.email, event__isnull=True).count() == 1
    assert len(digests_to(viewer.email)) == 1

    Delivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    send()  # the lease expired: sent again, at least once, as the same message
    send()

    copies = digests_to(viewer.email)
    assert len(copies) == 2
    assert copies[0].extra_headers["Message-ID"] == copies[1].extra_headers["Message-ID"]
    delivery.refresh_from_db()
    assert delivery.state == "succeeded"


def test_a_digest_reaches_a_real_smtp_server(network: Network, tool: Tool, smtp: Any) -> None:
    viewer = network.fda.viewer
    subscribe(network.fda)
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="low", title="Low & <minor>")
    fan_out_all()
    digests_send(now=digest_due_now(viewer))
    send()

    [message] = [m for m in smtp.messages if m["To"] == viewer.email and "Daily digest" in m["Subject"]]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Low & <minor>" in text
    assert "Low &amp; &lt;minor&gt;" in html
    assert f"{SITE}/alerts/{alert.pk}/" in html
    assert_in_words(str(message["Subject"]), text, html)
