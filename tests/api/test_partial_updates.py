"""Partial updates and amendments validate the items they send exactly as creation does (SPEC §6
"Bad input"): a nested item missing a required key is a 400 naming it, never a 500."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from typing import Any

import pytest
from rest_framework import serializers

from alerts.models import Tool
from exchange.api.serializers import WholeItem
from exchange.errors import error_paths
from tests.alerts.factories import alert_draft_make, alert_published_make
from tests.factories import Network, tool_authorised_make
from tests.helpers import assert_problem, row_counts


@pytest.fixture
def tool(network: Network) -> Tool:
    return tool_authorised_make(network=network, by=("MHRA",))


def _refused(response: Any, field: str) -> None:
    problem = assert_problem(response, 400, "validation-error")
    assert any(path.startswith(field) for path, _ in error_paths(problem["errors"])), problem


@pytest.mark.parametrize("items", [[{}], [{"versions": ""}], [{"versions": ">=1"}, {}], [{"tool": None}]])
def test_a_draft_edit_with_an_incomplete_affected_tool_is_a_400(
    network: Network, api: Any, tool: Tool, items: list[Any]
) -> None:
    draft = alert_draft_make(actor=network.mhra.publisher, tools=[tool])
    caller = api(network.mhra.publisher)
    before = row_counts()

    _refused(caller.patch(f"/api/v1/alerts/{draft.pk}/", {"affected_tools": items}),
             "affected_tools")
    assert row_counts() == before


def test_an_amendment_with_an_incomplete_affected_tool_is_a_400(network: Network, api: Any, tool: Tool) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool])
    caller = api(network.mhra.publisher)
    before = row_counts()

    response = caller.post(f"/api/v1/alerts/{alert.pk}/amend/", {
        "affected_tools": [{"versions": ""}], "change_summary": "Narrowed the versions.",
    })

    _refused(response, "affected_tools[0].tool")
    assert row_counts() == before


def test_a_tool_edit_with_an_incomplete_identifier_is_a_400(network: Network, api: Any, tool: Tool) -> None:
    caller = api(network.mhra.publisher)
    before = row_counts()

    response = caller.patch(
        f"/api/v1/tools/{tool.pk}/", {"identifiers": [{"x": True, "value": "x"}]}
    )

    _refused(response, "identifiers[0].system")
    assert row_counts() == before


def test_an_authorisation_edit_with_an_incomplete_baseline_is_a_400(network: Network, api: Any, tool: Tool) -> None:
    authorization = tool.authorizations.get(jurisdiction="GB")
    caller = api(network.mhra.publisher)

    response = caller.patch(f"/api/v1/tools/{tool.pk}/authorizations/{authorization.pk}/", {"baseline": [{}]})

    _refused(response, "baseline[0]")


def test_a_partial_update_may_still_leave_a_nested_field_out(network: Network, api: Any, tool: Tool) -> None:
    draft = alert_draft_make(actor=network.mhra.publisher, tools=[tool])

    response = api(network.mhra.publisher).patch(f"/api/v1/alerts/{draft.pk}/", {"summary": "Only this."})

    assert response.status_code == 200, response.content
    assert [t["tool"] for t in response.json()["affected_tools"]] == [str(tool.pk)]


def _partial_roots() -> dict[str, type[serializers.BaseSerializer[Any]]]:
    """Every serializer the API validates partially: `X(..., partial=...)` in a view, or one whose
    constructor makes itself partial (an amendment)."""
    roots = {}
    for package in ("alerts.api", "exchange.api"):
        for module_info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            module = importlib.import_module(f"{package}.{module_info.name}")
            source = inspect.getsource(module)
            names = set(re.findall(r"(\w+Serializer)\([^()]*partial=", source))
            names |= set(re.findall(r"class (\w+Serializer)\([^)]*\):(?:(?!\nclass ).)*setdefault\(\"partial\"", source, re.S))
            for name in names:
                cls = getattr(module, name, None)
                if cls is not None:
                    roots[f"{module.__name__}.{name}"] = cls
    return roots


def test_every_nested_serializer_of_a_partial_update_validates_its_items_whole() -> None:
    """The structural guard: a nested serializer under a partial update that does not validate its
    items whole (exchange.api.serializers.WholeItem) fails here, naming it."""
    roots = _partial_roots()
    assert {"AlertInputSerializer", "AmendSerializer", "ToolSerializer", "AuthorizationSerializer"} <= {
        name.rsplit(".", 1)[1] for name in roots}
    missing = set()
    pending = [(name, cls()) for name, cls in roots.items()]
    while pending:
        where, serializer = pending.pop()
        for field_name, field in serializer.fields.items():
            nested = field.child if isinstance(field, serializers.ListSerializer) else field
            if isinstance(nested, serializers.BaseSerializer) and not field.read_only:
                if not isinstance(nested, WholeItem):
                    missing.add(f"{where}.{field_name}: {type(nested).__name__}")
                pending.append((f"{where}.{field_name}", nested))
    assert not missing, sorted(missing)
