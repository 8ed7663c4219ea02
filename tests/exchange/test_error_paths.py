"""The one flattener of nested field errors: the paths a problem's `detail` and the portal's messages
name read like the request body, whichever way DRF nested them."""

from __future__ import annotations

from exchange.errors import error_paths


def test_paths_read_like_the_request_body() -> None:
    errors = {
        "subgroups": [{}, {"metrics": {2: {"metric": ["unknown metric"]}}}],
        "tools": {"0": ["Not a valid string."]},
        "non_field_errors": ["interval does not contain the value"],
        "name": "may not be blank",
    }

    assert error_paths(errors) == [
        ("subgroups[1].metrics[2].metric", "unknown metric"),
        ("tools[0]", "Not a valid string."),
        ("", "interval does not contain the value"),
        ("name", "may not be blank"),
    ]


def test_a_list_of_messages_keeps_its_field_and_nothing_is_no_error() -> None:
    assert error_paths({"email_recipients": ["'x' is not an e-mail address", "at most 20 addresses"]}) == [
        ("email_recipients", "'x' is not an e-mail address"),
        ("email_recipients", "at most 20 addresses"),
    ]
    assert error_paths(None) == []
    assert error_paths("The request is not valid.") == [("", "The request is not valid.")]
