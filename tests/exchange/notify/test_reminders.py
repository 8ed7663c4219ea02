"""Overdue reminders travel the one e-mail path: a delivery row with attempts, in words, the
deadline in the recipient's time zone; never a second e-mail for the same overdue event."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core import mail

from alerts.models import Acknowledgement, Tool
from alerts.services.acknowledgements import acknowledgements_overdue_sweep
from exchange.models import DeliveryAttempt, PersonalEmail
from exchange.services.preferences import preferences_update
from tests.alerts.factories import alert_published_make
from tests.exchange.notify.conftest import SITE, fan_out_all, send, subscribe
from tests.exchange.notify.test_immediate import assert_in_words
from tests.factories import Network


def test_an_overdue_reminder_is_a_delivery_in_words_with_the_local_deadline(network: Network, tool: Tool) -> None:
    admin = network.fda.admin
    preferences_update(actor=admin, user=admin, changes={"timezone": "America/New_York"})
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="critical",
                                 affected_jurisdictions=["US"], alert_type="software_defect")
    ack = Acknowledgement.objects.get(alert=alert, member=network.fda.member)
    assert ack.deadline is not None
    fan_out_all()
    mail.outbox.clear()

    acknowledgements_overdue_sweep(now=ack.deadline + timedelta(hours=1))
    send()

    [message] = [m for m in mail.outbox if m.to == [admin.email]]
    assert message.subject == f"[AI Safety Alert Exchange] Overdue: FDA has not acknowledged {alert.reference} " \
                              f"(critical, {tool.name}): {alert.title}"
    local = ack.deadline.astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%A} {local.day} {local:%B %Y, %H:%M} (America/New_York)" in message.body
    assert "Software defect" in message.body
    assert f"{SITE}/alerts/{alert.pk}/" in message.body
    assert "as an admin of FDA" in message.body
    assert_in_words(message.subject, message.body, message.alternatives[0][0])
    reminder = PersonalEmail.objects.get(user=admin, kind="reminder")
    assert reminder.delivery is not None
    assert reminder.delivery.state == "succeeded"
    assert DeliveryAttempt.objects.filter(delivery=reminder.delivery).count() == 1
    assert not [m for m in mail.outbox if m.to == [network.fda.viewer.email]]  # admins only


def test_an_admin_who_also_wants_problems_at_once_gets_one_email(network: Network, tool: Tool) -> None:
    admin = network.fda.admin
    preferences_update(actor=admin, user=admin, changes={"items": {"problem": "immediate"}})
    subscribe(network.fda, event_types=["acknowledgement.overdue"])
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="critical",
                                 affected_jurisdictions=["US"])
    ack = Acknowledgement.objects.get(alert=alert, member=network.fda.member)
    assert ack.deadline is not None
    fan_out_all()
    mail.outbox.clear()

    acknowledgements_overdue_sweep(now=ack.deadline + timedelta(hours=1))
    fan_out_all()  # the overdue event matches FDA's subscription
    send()

    assert len([m for m in mail.outbox if m.to == [admin.email]]) == 1
    assert PersonalEmail.objects.filter(user=admin).count() == 1


def test_an_e_mail_reads_in_the_persons_language(network: Network) -> None:
    """The e-mail's own words follow the recipient's language (SPEC §10.5); English stays the default."""
    from exchange.notices import Notice, grouped
    from exchange.services.mail_render import render
    from exchange.services.preferences import Preferences

    notice = Notice(item="problem", what="Reminder", title="SAX-2026-7K3QZP", path="/alerts/")
    english = render(subject="s", heading="h", groups=grouped([notice]), preferences=Preferences(), reason="r")
    french = render(subject="s", heading="h", groups=grouped([notice]), preferences=Preferences(language="fr"),
                    reason="r")
    assert "Modifier ce que vous recevez et quand" in french.text
    assert "Ouvrir" in french.text
    assert "Modifier" not in english.text
