"""Expected answers do not look like failures in the logs (issue #16): a refused portal page is one
warning line without a traceback, and kombu's embedded-transport hostname notice is not shown."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from django.test import Client

from exchange.models import User
from tests.factories import Network


@pytest.mark.django_db
def test_a_refused_page_logs_one_line_without_a_traceback(
    network: Network, page: Callable[[User], Client], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert page(network.mhra.viewer).get("/subscriptions/").status_code == 403
    refused = [r for r in caplog.records if r.name == "django.request"]
    assert len(refused) == 1
    assert "Forbidden" in refused[0].getMessage()
    assert refused[0].exc_info is None


def test_kombu_s_no_hostname_notice_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    kombu = logging.getLogger("kombu.connection")
    with caplog.at_level(logging.WARNING, logger="kombu.connection"):
        kombu.warning("No hostname was supplied. Reverting to default 'localhost'")
        kombu.warning("Something else about the broker")
    assert [r.getMessage() for r in caplog.records] == ["Something else about the broker"]
