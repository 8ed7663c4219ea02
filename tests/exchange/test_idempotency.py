"""Idempotency-Key on creating POSTs: the same key from the same member replays the first response."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from alerts.models import Tool
from exchange.models import ApiToken, AuditEntry, IdempotencyRecord
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem, row_counts

TOOL = {"name": "StrokeSight", "manufacturer": "Kestrelmont Neuro Systems", "clinical_area": "neurology"}


def test_repeating_a_creation_with_the_same_key_replays_it(network: Network, api) -> None:
    caller = api(network.mhra.publisher)

    first = caller.post("/api/v1/tools/", TOOL, HTTP_IDEMPOTENCY_KEY="create-strokesight")
    counts = row_counts()
    again = caller.post("/api/v1/tools/", TOOL, HTTP_IDEMPOTENCY_KEY="create-strokesight")

    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert row_counts() == counts  # nothing created twice, nothing audited twice
    assert Tool.objects.filter(name="StrokeSight").count() == 1
    assert AuditEntry.objects.filter(action="tool.registered").count() == 1


def test_another_token_of_the_same_member_gets_the_replay(network: Network, api) -> None:
    first = api(network.mhra.publisher).post("/api/v1/tools/", TOOL, HTTP_IDEMPOTENCY_KEY="k")

    again = api(network.mhra.admin).post("/api/v1/tools/", TOOL, HTTP_IDEMPOTENCY_KEY="k")

    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


def test_without_a_key_a_repeat_is_a_new_request(network: Network, api) -> None:
    caller = api(network.mhra.publisher)
    caller.post("/api/v1/tools/", TOOL)

    assert_problem(caller.post("/api/v1/tools/", TOOL), 409, "conflict")


def test_the_same_key_with_another_body_is_422(network: Network, api) -> None:
    caller = api(network.mhra.publisher)
    caller.post("/api/v1/tools/", TOOL, HTTP_IDEMPOTENCY_KEY="k")
    counts = row_counts()

    response = caller.post("/api/v1/tools/", {**TOOL, "name": "StrokeSight 2"}, HTTP_IDEMPOTENCY_KEY="k")

    body = assert_problem(response, 422, "idempotency-key-reused")
    assert "Idempotency-Key" in body["errors"]
    assert row_counts() == counts


def test_the_same_key_on_another_path_is_422(network: Network, api) -> None:
    caller = api(network.mhra.admin)
    caller.post("/api/v1/tools/", TOOL, HTTP_IDEMPOTENCY_KEY="k")

    response = caller.post("/api/v1/users/", {"email": "x@mhra.test", "role": "viewer"}, HTTP_IDEMPOTENCY_KEY="k")

    assert_problem(response, 422, "idempotency-key-reused")


def test_keys_of_different_members_are_independent(network: Network, api) -> None:
    mhra = api(network.mhra.publisher).post("/api/v1/tools/", TOOL, HTTP_IDEMPOTENCY_KEY="shared-key")

    fda = api(network.fda.publisher).post(
        "/api/v1/tools/", {**TOOL, "name": "RetinaGrade", "manufacturer": "Veridane"}, HTTP_IDEMPOTENCY_KEY="shared-key"
    )

    assert fda.status_code == 201
    assert "Idempotent-Replayed" not in fda
    assert fda.json()["id"] != mhra.json()["id"]
    assert fda.json()["registered_by"] == "FDA"


def test_a_failed_creation_is_not_remembered(network: Network, api) -> None:
    caller = api(network.mhra.publisher)

    invalid = caller.post("/api/v1/tools/", {**TOOL, "clinical_area": "astrology"}, HTTP_IDEMPOTENCY_KEY="k")
    assert invalid.status_code == 400
    assert not IdempotencyRecord.objects.exists()

    fixed = caller.post("/api/v1/tools/", TOOL, HTTP_IDEMPOTENCY_KEY="k2")
    assert fixed.status_code == 201


@pytest.mark.parametrize("key", ["", " ", "k" * 256])
def test_an_empty_or_overlong_key_is_a_400(network: Network, api, key: str) -> None:
    caller = api(network.mhra.publisher)
    counts = row_counts()

    response = caller.post("/api/v1/tools/", TOOL, HTTP_IDEMPOTENCY_KEY=key)

    body = assert_problem(response, 400, "validation-error")
    assert "Idempotency-Key" in body["errors"]
    assert row_counts() == counts


def test_a_replayed_token_creation_does_not_reveal_the_secret(network: Network, api) -> None:
    caller = api(network.mhra.admin)
    payload = {"name": "case system", "user": "assessor@mhra.test"}

    first = caller.post("/api/v1/tokens/", payload, HTTP_IDEMPOTENCY_KEY="token-1")
    again = caller.post("/api/v1/tokens/", payload, HTTP_IDEMPOTENCY_KEY="token-1")

    secret = first.json()["token"]
    assert secret.startswith("sax_")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["token"] is None
    assert ApiToken.objects.filter(name="case system").count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT CAST(body AS TEXT) FROM exchange_idempotencyrecord")
        stored = " ".join(row[0] for row in cursor.fetchall())
    assert first.json()["id"] in stored
    assert secret not in stored
    assert secret[12:] not in stored


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_create_one_tool(network: Network, api) -> None:
    """Ten clients send the same creation with the same key at the same moment: one tool, one answer."""
    token = api(network.mhra.publisher).token
    start = threading.Barrier(10)
    results: list[tuple[int, Any, str | None]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            caller = ApiCaller(user=None, token=token)
            start.wait(timeout=10)
            response = caller.post("/api/v1/tools/", TOOL, HTTP_IDEMPOTENCY_KEY="together")
            with lock:
                results.append((response.status_code, response.json(), response.get("Idempotent-Replayed")))
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert len(results) == 10
    assert {status for status, _, _ in results} == {201}, results
    assert len({body["id"] for _, body, _ in results}) == 1
    assert sum(1 for _, _, replayed in results if replayed != "true") == 1
    assert Tool.objects.filter(name="StrokeSight").count() == 1
    assert AuditEntry.objects.filter(action="tool.registered").count() == 1
