"""Chunked bodies and cursors (SPEC §6 "Bad input"): a body sent chunked, without Content-Length,
is read and capped at API_MAX_BODY_BYTES (413), or refused with 411 where the server cannot read it;
a cursor is only ever one this service handed out."""

from __future__ import annotations

import base64
import json
from io import BytesIO
from typing import Any

import pytest

from tests.alerts.factories import alert_payload
from tests.factories import Network, tool_authorised_make
from tests.helpers import ApiCaller, assert_problem


def _chunked(caller: ApiCaller, body: bytes, *, terminated: bool = True) -> Any:
    """POST as a server hands over a chunked request: no Content-Length, the input de-chunked."""
    environ = {"wsgi.input": BytesIO(body), "CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked"}
    if terminated:
        environ["wsgi.input_terminated"] = True
    return caller.client.generic("POST", "/api/v1/alerts/", b"", content_type="application/json", **environ)


def test_a_chunked_body_without_content_length_is_read(network: Network, api: Any) -> None:
    tool = tool_authorised_make(network=network, by=("MHRA",))
    caller = api(network.mhra.publisher)

    response = _chunked(caller, json.dumps(alert_payload(tools=[tool], title="Sent chunked")).encode())

    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Sent chunked"


def test_a_chunked_body_over_the_limit_is_a_413(network: Network, api: Any, settings: Any) -> None:
    settings.API_MAX_BODY_BYTES = 1000
    response = _chunked(api(network.mhra.publisher), b'{"title": "' + b"x" * 5000 + b'"}')

    assert_problem(response, 413, "payload-too-large")


def test_a_chunked_body_the_server_cannot_read_is_a_411(network: Network, api: Any) -> None:
    response = _chunked(api(network.mhra.publisher), b"{}", terminated=False)

    assert_problem(response, 411, "length-required")


@pytest.mark.parametrize("raw", [b"\x00\x00\x00", b"o=1&p=" + b"9" * 300, b"x=1", b"o=-1", b"o=1&o=2",
                                 b"p=\x01", b"o=99999999999999999999"])
def test_a_cursor_this_service_never_gave_is_a_400_on_every_list(network: Network, api: Any, raw: bytes) -> None:
    caller = api(network.mhra.admin)
    cursor = base64.b64encode(raw).decode()
    for path in ("/api/v1/alerts/", "/api/v1/reports/", "/api/v1/notifications/", "/api/v1/deliveries/",
                 "/api/v1/signals/", "/api/v1/inbox/", "/api/v1/tools/", "/api/v1/users/", "/api/v1/tokens/",
                 "/api/v1/subscriptions/", "/api/v1/webhook-endpoints/", "/api/v1/members/"):
        body = assert_problem(caller.get(path, {"cursor": cursor}), 400)
        assert "cursor" in body["errors"], path


def test_a_cursor_handed_out_still_pages(network: Network, api: Any) -> None:
    caller = api(network.mhra.admin)
    first = caller.get("/api/v1/users/", {"limit": 1}).json()
    assert first["next"]

    assert caller.get(first["next"]).status_code == 200
