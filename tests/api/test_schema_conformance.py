"""The OpenAPI schema is public and true: property-based requests against the app conform to it.

SPEC §6: the schema at /api/schema/ (JSON with `?format=json` or `Accept: application/json`) and the
docs at /api/docs/ are readable without credentials; every response an operation can give, errors
included, is documented. Schemathesis generates requests from the schema (valid and invalid ones)
and checks every answer against it.
"""

from __future__ import annotations

import re
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.contrib.staticfiles import finders
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.factories import Network, authorization_make, tool_make
from tests.helpers import ApiCaller

# The foundation's operations; other collections are exercised by their own suites.
FOUNDATION_PATHS = r"^/api/v1/(me|members|users|tokens|tools)/"
# Not `negative_data_rejection`: DRF coerces JSON numbers into string fields (an identifier value of
# 0 is stored as "0") and django-filter treats an unparseable boolean filter as "no filter", both by
# design; the API's refusal of invalid input is asserted case by case in test_conventions.py. The
# invalid requests schemathesis generates still run through every check below.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,  # a declared security requirement is enforced: the request without the token fails
]


def test_the_schema_is_public_json(anon: ApiCaller) -> None:
    by_query = anon.get("/api/schema/", {"format": "json"})
    by_accept = anon.get("/api/schema/", HTTP_ACCEPT="application/json")

    for response in (by_query, by_accept):
        assert response.status_code == 200
        assert "json" in response["Content-Type"]
        schema = response.json()
        assert schema["openapi"].startswith("3.")
        assert "/api/v1/tools/" in schema["paths"]
    assert by_query.json() == by_accept.json()


def test_the_schema_documents_errors_and_bearer_auth(anon: ApiCaller) -> None:
    schema = anon.get("/api/schema/", {"format": "json"}).json()

    create_tool = schema["paths"]["/api/v1/tools/"]["post"]
    assert {"201", "400", "401", "403", "409", "415", "422", "429"} <= set(create_tool["responses"])
    assert "application/problem+json" in create_tool["responses"]["409"]["content"]
    bearer = schema["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    assert {"bearerAuth": []} in create_tool["security"]


def test_the_docs_are_served_with_local_assets_only(anon: ApiCaller) -> None:
    response = anon.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith(".js") for asset in assets)
    assert any(asset.endswith(".css") for asset in assets)
    for asset in assets:
        assert not re.match(r"^(https?:)?//", asset), f"{asset} is served from another host"
        assert asset.startswith("/static/"), asset
        # The asset ships with the service (hashed names come from the manifest after collectstatic).
        plain = re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", asset.removeprefix("/static/"))
        assert finders.find(plain), f"{asset} is not a static file of the service"
    assert "cdn." not in html
    assert "unpkg.com" not in html
    assert "jsdelivr" not in html


@pytest.fixture
def admin_token(network: Network, api: Any, settings: Any, wsgi_keeps_the_test_transaction: None) -> str:
    """An admin of a member with some registry data, so that lists and filters return rows."""
    settings.API_RATE_LIMIT = None  # hundreds of generated requests share one token
    for regulator in (network.mhra, network.fda, network.hc):
        tool = tool_make(actor=regulator.publisher)
        authorization_make(actor=regulator.publisher, tool=tool)
    return api(network.mhra.admin).token


# Loaded once at collection from the app itself; the schema view needs neither credentials nor data.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application).include(
    path_regex=FOUNDATION_PATHS
)


@schema.parametrize()
@hypothesis.settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=True,  # the same examples on every run: a failure here is reproducible
    database=None,
)
def test_the_api_conforms_to_its_schema(case: Any, admin_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)
