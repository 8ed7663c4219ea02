"""Dates, numbers and deadlines in the page's language (SPEC §10.5): an alert page read in French shows
its deadline as a French reader writes a date, in Japanese as a Japanese reader does, and the
countdown in words of that language (portal.js keeps it current with the same words)."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime

import pytest
from django.test import Client
from django.utils import timezone

from alerts.models import Acknowledgement
from exchange.services.preferences import preferences_clean, preferences_update
from tests.alerts.factories import alert_published_make
from tests.factories import Network, tool_authorised_make

pytestmark = pytest.mark.django_db

FR_DAYS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")
FR_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
JA_DAYS = "月火水木金土日"
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _expected(language: str, moment: datetime) -> str:
    """How the reader of `language` writes the moment (UTC, the page's zone here), spelled out by hand."""
    local = timezone.localtime(moment, timezone.get_fixed_timezone(0))
    if language == "fr":
        return f"{FR_DAYS[local.weekday()]} {local.day} {FR_MONTHS[local.month - 1]} {local.year} à {local:%H:%M}"
    return f"{local.year}年{local.month}月{local.day}日({JA_DAYS[local.weekday()]}) {local:%H:%M}"


def _page(network: Network, language: str) -> tuple[str, datetime]:
    tool = tool_authorised_make(network=network, by=("MHRA",))
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="high",
                                 affected_jurisdictions=["CA"])
    deadline = Acknowledgement.objects.get(alert=alert, member=network.hc.member).deadline
    assert deadline is not None
    reader = network.hc.assessor
    preferences_update(actor=reader, user=reader, changes=preferences_clean({"language": language}))
    client = Client()
    client.force_login(reader)
    response = client.get(f"/alerts/{alert.pk}/")
    assert response.status_code == 200
    return response.content.decode(), deadline


@pytest.mark.parametrize(("language", "due_words"), [("fr", "Échéance dans"), ("ja", "期限まで")])
def test_an_alert_pages_deadline_is_written_in_the_readers_language(network: Network, language: str,
                                                                    due_words: str) -> None:
    raw, deadline = _page(network, language)
    page = html.unescape(raw)
    assert f"{_expected(language, deadline)} UTC" in page, re.findall(r'deadline-full">[^<]*', page)
    countdown = re.search(r'<time class="deadline[^"]*" datetime="[^"]+" data-countdown data-words="([^"]*)"[^>]*>'
                          r'([^<]*)</time>', raw)
    assert countdown, "no countdown on the page"
    assert html.unescape(countdown.group(2)).startswith(due_words), countdown.group(2)
    words = json.loads(html.unescape(countdown.group(1)))
    assert words["due"].startswith(due_words)
    assert "{span}" in words["due"]
    assert "{h}" in words["days"]
    assert "{d}" in words["days"]
    for month in EN_MONTHS:  # no English month left on the page's dates
        assert not re.search(rf"\b\d{{1,2}} {month} \d{{4}}\b", page), month


def test_english_keeps_its_day_month_year_order(network: Network) -> None:
    raw, deadline = _page(network, "en")
    page = html.unescape(raw)
    local = timezone.localtime(deadline, timezone.get_fixed_timezone(0))
    assert f"{local:%a} {local.day} {local:%b %Y, %H:%M} UTC" in page


@pytest.mark.parametrize(("language", "count", "duration", "days"), [
    ("en", "12,480", "5.5 h", "3.2 days"),
    ("fr", "12\u00a0480", "5,5\u00a0h", "3,2 jours"),
    ("ja", "12,480", "5.5 時間", "3.2 日"),
])
def test_numbers_and_durations_follow_the_language(language: str, count: str, duration: str, days: str) -> None:
    from django.utils import translation

    from exchange.templatetags.portal import hours, number

    with translation.override(language):
        assert number(12480) == count
        assert hours(5.5) == duration
        assert hours(3.2 * 24) == days


def test_a_deadline_writes_its_moment_once_and_a_bare_countdown_keeps_it_as_a_title() -> None:
    """A table of a hundred overdue answers formats each moment once: the countdown beside the written
    moment has no title repeating it; a countdown on its own keeps the moment in its title."""
    from datetime import timedelta

    from django.utils import translation

    from exchange.templatetags.portal import countdown, deadline, when

    moment = timezone.now() + timedelta(days=2, hours=3)
    with translation.override("fr"):
        both = str(deadline(moment))
        written = when(moment)
        alone = str(countdown(moment))
    assert html.unescape(both).count(written) == 1, both
    assert "title=" not in both, both
    assert re.search(r'<time class="deadline" datetime="[^"]+" data-countdown data-words="[^"]*" title="[^"]+">'
                     r"Échéance dans 2 jours", alone), alone
