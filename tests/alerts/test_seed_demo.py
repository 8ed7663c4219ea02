"""`manage.py seed_demo`: realistic demo data, safe to run twice, leaving the audit chain intact."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from alerts.models import Authorization, BaselineMetric, ImdrfTerm, Tool, ToolIdentifier
from exchange.models import ApiToken, AuditEntry, Member, User
from tests.helpers import ApiCaller

DOMAIN_MODELS = (Member, User, Tool, ToolIdentifier, Authorization, BaselineMetric, ImdrfTerm)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in DOMAIN_MODELS}


@pytest.mark.django_db
def test_seed_demo_twice_duplicates_nothing_and_keeps_the_chain_intact() -> None:
    call_command("seed_demo", "--no-tokens", stdout=StringIO())
    assert not ApiToken.objects.exists()
    after_first = _counts()
    audited_first = AuditEntry.objects.count()

    second_output = StringIO()
    call_command("seed_demo", stdout=second_output)

    assert _counts() == after_first
    # Only the freshly printed demo tokens are new; nothing else was written or audited again.
    assert AuditEntry.objects.exclude(action="token.issued").count() == audited_first
    assert after_first["Member"] >= 5
    assert after_first["Tool"] >= 10
    assert set(Member.objects.values_list("code", flat=True)) >= {"MHRA", "FDA", "HC", "TGA", "SMC"}
    assert User.objects.filter(email="publisher@mhra.example", role="publisher").exists()
    assert Authorization.objects.filter(tool__name="LungScan AI", jurisdiction="GB").exists()
    # Two alerts read in French and in Japanese, each translation signed by the member that wrote it.
    from alerts.models import AlertTranslation

    translated = AlertTranslation.objects.filter(language__in=["fr", "ja"], signature__isnull=False)
    assert translated.values("alert").distinct().count() == 2
    assert set(translated.values_list("language", flat=True)) == {"fr", "ja"}
    # The sample IMDRF terminology (consolidated and single-annex files) backs the demo alerts' codes.
    assert set(ImdrfTerm.objects.filter(release__year=2025).values_list("annex", flat=True)) == set("ABCDEFG")
    verified = StringIO()
    call_command("verify_audit_log", stdout=verified)
    assert "chain intact" in verified.getvalue()
    # The printed demo tokens work.
    token = re.search(r"admin@mhra\.example\s+(sax_\S+)", second_output.getvalue())
    assert token is not None
    assert ApiCaller(user=None, token=token.group(1)).get("/api/v1/me/").json()["member"]["code"] == "MHRA"


@pytest.mark.django_db
def test_the_demo_has_overdue_and_near_deadline_requests_in_each_signed_in_inbox() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from alerts.models import Acknowledgement
    from alerts.selectors import inbox_for

    call_command("seed_demo", "--no-tokens", stdout=StringIO())
    now = timezone.now()
    for code in ("FDA", "MHRA"):
        inbox = inbox_for(member=Member.objects.get(code=code))
        assert inbox.filter(pk__in=Acknowledgement.objects.overdue(now).values("pk")).exists(), code
        assert inbox.filter(deadline__gt=now, deadline__lte=now + timedelta(hours=6)).exists(), code
