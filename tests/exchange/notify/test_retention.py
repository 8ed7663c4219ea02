"""E-mails to one person are kept EVENT_RETENTION_DAYS like events, with their deliveries."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from exchange.models import Delivery, PersonalEmail
from exchange.services.mail import Rendered, personal_email_write
from exchange.services.retention import retention_sweep
from tests.factories import Network


def test_old_personal_emails_go_with_their_deliveries_and_held_ones_stay(network: Network, settings: object) -> None:
    user = network.fda.viewer
    now = timezone.now()
    content = Rendered(subject="s", text="t", html="<p>h</p>")
    old = personal_email_write(user=user, kind="digest", key="digest:old", rendered=content, now=now - timedelta(days=91))
    held = personal_email_write(user=user, kind="immediate", key="held:old", rendered=content, held=True,
                                now=now - timedelta(days=91))
    recent = personal_email_write(user=user, kind="digest", key="digest:recent", rendered=content,
                                  now=now - timedelta(days=89))
    assert old is not None
    assert held is not None
    assert recent is not None

    stats = retention_sweep(now=now)

    assert stats.personal_emails == 1
    assert set(PersonalEmail.objects.values_list("key", flat=True)) == {"held:old", "digest:recent"}
    assert not Delivery.objects.filter(pk=old.delivery_id).exists()
    assert Delivery.objects.filter(pk=recent.delivery_id).exists()
