"""An e-mail reads in its recipient's language (SPEC §10.5): the subject, what happened, the details'
labels and the values' words, the deadline and the footer — not only the template's own words.

Read from a real SMTP server: what a French or Japanese reader's mail program shows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from alerts.models import Acknowledgement, Tool
from alerts.services.acknowledgements import acknowledgements_overdue_sweep
from exchange.services.digests import digests_send
from exchange.services.preferences import preferences_update
from tests.alerts.factories import alert_published_make
from tests.exchange.notify.conftest import SITE, fan_out_all, send, subscribe
from tests.factories import Network

FRENCH_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                 "novembre", "décembre")
FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
# English a French reader must not meet: what happened, the details' labels, values' words, the footer.
ENGLISH = ("Safety alert published", "Severity", "Critical", "Tools", "Published by", "Recommended actions",
           "Acknowledge by", "You receive this", "Open it", "Change what reaches you", "December", "Friday")


def _parts(message: Any) -> tuple[str, str, str]:
    return (" ".join(str(message["Subject"]).split()), message.get_body(preferencelist=("plain",)).get_content(),
            message.get_body(preferencelist=("html",)).get_content())


def test_a_french_readers_e_mail_is_in_french_subject_body_and_deadline(network: Network, sepsis_tool: Tool,
                                                                          smtp: Any) -> None:
    reader = network.hc.assessor  # the demo's French reader
    preferences_update(actor=reader, user=reader, changes={"language": "fr", "timezone": "America/Montreal"})
    subscribe(network.hc)
    alert = alert_published_make(actor=network.mhra.publisher, tools=[sepsis_tool], severity="critical",
                                 title="Missed sepsis onsets", affected_jurisdictions=["CA"])
    deadline = Acknowledgement.objects.get(alert=alert, member=network.hc.member).deadline
    assert deadline is not None
    fan_out_all()
    send()

    [message] = [m for m in smtp.messages if m["To"] == reader.email]
    subject, text, html = _parts(message)
    assert subject == (f"[AI Safety Alert Exchange] Alerte de sécurité publiée : {alert.reference} (critique, "
                       "SepsisWatch Predict): Missed sepsis onsets")
    assert "Gravité : Critique" in text or "Gravité: Critique" in text, text
    assert "Publié par" in text
    assert "Outils" in text
    assert "Vous recevez ce message parce qu’un abonnement de HC l’a sélectionné" in text
    local = deadline.astimezone(ZoneInfo("America/Montreal"))
    when = f"{FRENCH_DAYS[local.weekday()]} {local.day} {FRENCH_MONTHS[local.month - 1]} {local.year} à {local:%H:%M}"
    assert f"{when} (America/Montreal)" in text, text
    assert '<html lang="fr">' in html
    assert f'href="{SITE}/alerts/{alert.pk}/"' in html
    for english in ENGLISH:
        assert english not in subject + text + html, english
    # An English reader of the same member, the same event: English.
    [english] = [m for m in smtp.messages if m["To"] == network.hc.viewer.email]
    assert " ".join(str(english["Subject"]).split()).startswith("[AI Safety Alert Exchange] Safety alert published: ")


def test_a_japanese_readers_digest_and_overdue_reminder_are_in_japanese(network: Network, tool: Tool,
                                                                         smtp: Any) -> None:
    admin = network.fda.admin
    preferences_update(actor=admin, user=admin, changes={
        "language": "ja", "timezone": "Asia/Tokyo", "items": {"alert.low": "daily_digest"}})
    subscribe(network.fda)
    alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="low", title="Minor drift")
    fan_out_all()
    now = timezone.now() + timedelta(seconds=1)  # after the notification: the digest covers up to `now`
    preferences_update(actor=admin, user=admin, changes={"digest_hour": now.astimezone(ZoneInfo("Asia/Tokyo")).hour})
    digests_send(now=now)
    send()
    [digest] = [m for m in smtp.messages if m["To"] == admin.email]
    subject, text, _html = _parts(digest)
    local = now.astimezone(ZoneInfo("Asia/Tokyo"))
    assert subject.startswith(f"[AI Safety Alert Exchange] {local.year}年{local.month}月{local.day}日 の日次ダイジェスト："), subject
    assert "日次ダイジェスト：1 件" in text
    assert "安全性アラートが公開されました" in text
    assert "Daily digest" not in subject
    assert "You receive" not in text

    late = alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="high",
                                affected_jurisdictions=["US"])
    Acknowledgement.objects.filter(alert=late, member=network.fda.member).update(
        deadline=timezone.now() - timedelta(hours=1))
    acknowledgements_overdue_sweep()
    send()
    [reminder] = [m for m in smtp.messages if m["To"] == admin.email and late.reference in str(m["Subject"])]
    subject, text, _html = _parts(reminder)
    assert subject.startswith(f"[AI Safety Alert Exchange] 期限超過：FDA は {late.reference}"), subject
    assert "の受領確認をしていません" in subject
    assert "FDA の管理者としてこのリマインダーを受け取っています" in text
    assert "Overdue" not in subject
    assert "You receive" not in text
