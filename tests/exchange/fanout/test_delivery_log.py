"""What the delivery pump logs (docs/operations.md "Logs"): at INFO one line per event and channel
for each recorded batch of successful attempts, and every failed attempt on its own line with its
delivery id; at DEBUG every attempt. Real pump, real receiver; the lines as a JSON log shows them."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from config.logs import JsonLogFormatter, RequestContextFilter, request_context
from exchange.models import Delivery
from tests.exchange.fanout.helpers import hook, publish, pump, subscribe
from tests.factories import Network
from tests.integration.receiver import Receiver, Reply

pytestmark = pytest.mark.django_db

REQUEST_ID = "publish-0d5c6a1e"


def _fan_out(network: Network, receiver: Receiver) -> tuple[set[str], str]:
    """Six FDA endpoints; the one at /fda/flaky answers 500 once (retried at once: the schedule is
    0 s here). Returns every delivery id and the flaky one's."""
    endpoints = [hook(network.fda, receiver, f"/fda/{i}") for i in range(5)]
    flaky = hook(network.fda, receiver, "/fda/flaky")
    receiver.script("/fda/flaky", [Reply(500)])
    subscribe(network.fda, [*endpoints, flaky])
    with request_context(REQUEST_ID, member="MHRA"):
        publish()
    stats = pump()
    assert stats.succeeded == 6
    ids = {str(pk) for pk in Delivery.objects.values_list("pk", flat=True)}
    return ids, str(Delivery.objects.get(endpoint=flaky).pk)


def _lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The delivery records as LOG_FORMAT=json writes them (each must be one JSON object)."""
    formatter, context = JsonLogFormatter(), RequestContextFilter()
    lines = []
    for record in caplog.records:
        if record.name == "exchange.deliveries":
            context.filter(record)
            lines.append(json.loads(formatter.format(record)))
    return lines


def test_at_info_successes_are_one_line_per_batch_and_every_failure_its_own(
    network: Network, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="exchange.deliveries")
    ids, flaky = _fan_out(network, receiver)

    lines = _lines(caplog)
    assert all(line["request_id"] == REQUEST_ID for line in lines)
    failures = [line for line in lines if not line["ok"]]
    delivered = [line for line in lines if line["ok"]]
    # The failed attempt: its own line, naming the delivery and what the receiver answered.
    [failure] = failures
    assert (failure["level"], failure["delivery"], failure["status_code"]) == ("INFO", flaky, 500)
    assert "failed (500)" in failure["message"]
    # Successes: no line per attempt, but every delivered id is in a batch line, once.
    assert len(delivered) < 6
    assert not any("delivery" in line for line in delivered)
    assert sorted(i for line in delivered for i in line["deliveries"]) == sorted(ids)
    assert sum(line["delivered"] for line in delivered) == 6
    assert {line["channel"] for line in delivered} == {"webhook"}
    assert all(line["message"].endswith(f"{line['delivered']} delivered") for line in delivered)


def test_at_debug_every_attempt_has_its_line(
    network: Network, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="exchange.deliveries")
    ids, flaky = _fan_out(network, receiver)

    attempts = [line for line in _lines(caplog) if "delivery" in line]
    assert sorted(line["delivery"] for line in attempts if line["ok"]) == sorted(ids)
    assert all(line["level"] == "DEBUG" for line in attempts if line["ok"])
    assert [(line["delivery"], line["level"]) for line in attempts if not line["ok"]] == [(flaky, "INFO")]


def test_at_warning_successes_and_retried_failures_log_nothing(
    network: Network, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="exchange.deliveries")
    _fan_out(network, receiver)
    assert _lines(caplog) == []
