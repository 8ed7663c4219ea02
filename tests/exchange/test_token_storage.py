"""Tokens are stored only as a SHA-256 hash, and look like tokens to a secret scanner (SPEC §2)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess

import pytest
from django.db import connection

from exchange.services.tokens import TOKEN_LENGTH, token_checksum, token_is_well_formed
from tests.factories import Network, token_make

TOKEN_PATTERN = re.compile(r"^sax_[0-9A-Za-z]{38}$")


def _all_text_in_database() -> str:
    """Every text, JSON and character column of every table of the public schema, concatenated."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'character')"
        )
        columns = cursor.fetchall()
        chunks = []
        for table, column in columns:
            cursor.execute(f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL')  # noqa: S608
            chunks.extend(row[0] for row in cursor.fetchall())
    return "\n".join(chunks)


@pytest.mark.postgres
def test_no_column_of_any_table_holds_the_token_only_its_hash(network: Network, api) -> None:
    caller = api(network.mhra.admin)
    created = caller.post("/api/v1/tokens/", {"name": "via the API"}, HTTP_IDEMPOTENCY_KEY="k-1").json()
    secrets = [caller.token, created["token"], token_make(user=network.fda.viewer).value]

    text = _all_text_in_database()

    for secret in secrets:
        assert secret not in text
        assert secret[12:] not in text  # not even the part after the displayed prefix
        assert hashlib.sha256(secret.encode()).hexdigest() in text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dump_of_the_database_does_not_contain_the_token(network: Network, api) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    caller = api(network.mhra.admin)
    created = caller.post("/api/v1/tokens/", {"name": "via the API"}, HTTP_IDEMPOTENCY_KEY="k-1").json()
    secret = created["token"]
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    command = [pg_dump, "--data-only", "--no-owner", "-h", str(db["HOST"] or "127.0.0.1"),
               "-p", str(db["PORT"] or 5432), "-U", str(db["USER"]), str(db["NAME"])]

    dump = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=True).stdout

    assert "admin@mhra.test" in dump  # the dump really holds the data
    for value in (caller.token, secret):
        assert value not in dump
        assert value[12:] not in dump
        assert hashlib.sha256(value.encode()).hexdigest() in dump


def test_tokens_have_a_recognisable_prefix_and_a_checksum(network: Network) -> None:
    values = {token_make(user=network.mhra.viewer).value for _ in range(5)}

    assert len(values) == 5
    for value in values:
        assert TOKEN_PATTERN.match(value)
        assert len(value) == TOKEN_LENGTH
        assert token_is_well_formed(value)
        random_part, check = value[4:36], value[36:]
        assert token_checksum(random_part) == check
        # A single changed character breaks the checksum, so scanners reject typos and fakes.
        flipped = value[:10] + ("a" if value[10] != "a" else "b") + value[11:]
        assert not token_is_well_formed(flipped)
    assert not token_is_well_formed("ghp_" + next(iter(values))[4:])
    assert not token_is_well_formed(next(iter(values))[:-1])
