"""Password changes and resets are audited; a user created without a password gets the reset e-mail."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from exchange.models import AuditEntry, Member
from exchange.services.members import user_create
from tests.factories import Network


def test_a_password_change_writes_an_audit_entry(network: Network) -> None:
    user = network.mhra.viewer
    user.set_password("old-Passw0rd-long")
    user.save(update_fields=["password"])
    client = Client()
    client.force_login(user)
    response = client.post("/accounts/password/change/", {
        "old_password": "old-Passw0rd-long", "new_password1": "n3w-Passw0rd-longer", "new_password2": "n3w-Passw0rd-longer",
    })
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action="user.password_changed", object_id=str(user.pk)).get()
    assert entry.actor_email == user.email
    assert "n3w" not in str(entry.after)
    assert "md5" not in str(entry.after)


def test_a_user_created_without_password_gets_the_reset_mail_and_the_reset_is_audited(network: Network) -> None:
    member = Member.objects.get(code="MHRA")
    user = user_create(actor=network.mhra.admin, email="new.assessor@mhra.test", member=member, role="assessor")
    assert not user.has_usable_password()
    client = Client()
    client.post("/accounts/password/reset/", {"email": "new.assessor@mhra.test"})
    assert len(mail.outbox) == 1
    link = re.search(r"/accounts/password/reset/[^\s]+/", mail.outbox[0].body)
    assert link is not None, mail.outbox[0].body
    form_page = client.get(link.group(0), follow=True)
    assert form_page.status_code == 200
    response = client.post(form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(0), {
        "new_password1": "f1rst-Passw0rd-long", "new_password2": "f1rst-Passw0rd-long",
    })
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("f1rst-Passw0rd-long")
    assert AuditEntry.objects.filter(action="user.password_reset", object_id=str(user.pk)).count() == 1
