"""Pinned query counts: a list costs the same number of queries whatever the page size (SPEC §7)."""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.services.tools import authorization_record
from tests.factories import Network, authorization_make, member_make, token_make, tool_make, user_make

ROWS = 50


def _members(network: Network) -> str:
    for _ in range(ROWS):
        member_make(country="NZ")
    return "/api/v1/members/"


def _users(network: Network) -> str:
    for _ in range(ROWS):
        user_make(member=network.mhra.member, role="viewer")
    return "/api/v1/users/"


def _tokens(network: Network) -> str:
    for index in range(ROWS):
        token_make(user=network.mhra.users[("viewer", "assessor", "publisher", "admin")[index % 4]])
    return "/api/v1/tokens/"


def _tools(network: Network) -> str:
    for index in range(ROWS):
        tool = tool_make(
            actor=network.mhra.publisher,
            identifiers=[{"system": "fda-510k", "value": f"K{index:06d}"}, {"system": "ce", "value": f"CE-{index}"}],
        )
        authorization_make(actor=network.mhra.publisher, tool=tool)
        authorization_make(actor=network.fda.publisher, tool=tool)
    return "/api/v1/tools/"


def _authorizations(network: Network) -> str:
    tool = tool_make(actor=network.mhra.publisher)
    jurisdictions = [first + second for first in "QX" for second in string.ascii_uppercase][:ROWS]
    for index, jurisdiction in enumerate(jurisdictions):  # network staff may record any jurisdiction
        authorization_record(
            actor=network.staff, tool=tool, jurisdiction=jurisdiction, reference=f"REF-{index}", date=date(2025, 1, 1),
            baseline=[{"metric": "sensitivity", "value": 0.9}, {"metric": "specificity", "value": 0.8}],
        )
    return f"/api/v1/tools/{tool.pk}/authorizations/"


@dataclass(frozen=True)
class ListEndpoint:
    name: str
    prepare: Callable[[Network], str]
    max_queries: int  # pinned: raise it only on purpose


ENDPOINTS = (
    ListEndpoint("members", _members, 2),
    ListEndpoint("users", _users, 2),
    ListEndpoint("tokens", _tokens, 2),
    ListEndpoint("tools", _tools, 5),
    ListEndpoint("authorizations", _authorizations, 4),
)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_list_queries_do_not_grow_with_the_page_size(network: Network, api, endpoint: ListEndpoint) -> None:
    path = endpoint.prepare(network)
    caller = api(network.mhra.admin)
    assert caller.get(path).status_code == 200  # the first use of a token also records it

    with CaptureQueriesContext(connection) as small:
        small_page = caller.get(path, {"limit": 5})
    with CaptureQueriesContext(connection) as large:
        large_page = caller.get(path, {"limit": ROWS})

    assert len(small_page.json()["results"]) == 5
    assert len(large_page.json()["results"]) == ROWS
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
    assert len(small) <= endpoint.max_queries, [q["sql"] for q in small.captured_queries]
