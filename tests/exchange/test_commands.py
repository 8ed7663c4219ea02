"""Operations commands: create_member, create_member_user, issue_token (SPEC §6)."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from exchange.models import ApiToken, AuditEntry, Member, User
from tests.factories import Network
from tests.helpers import ApiCaller

BASE_DIR = Path(settings.BASE_DIR)


def _call(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_create_member_admits_a_regulator() -> None:
    output = _call("create_member", "ema", "--name", "European Medicines Agency", "--country", "eu")

    member = Member.objects.get(code="EMA")
    assert (member.name, member.country, member.status) == ("European Medicines Agency", "EU", "active")
    assert "EMA" in output
    entry = AuditEntry.objects.get(action="member.created", object_id="EMA")
    assert entry.actor_email == "system"


def test_create_member_refuses_a_duplicate_code(network: Network) -> None:
    with pytest.raises(CommandError, match="MHRA already exists"):
        _call("create_member", "MHRA", "--name", "Another", "--country", "GB")

    assert Member.objects.filter(code="MHRA").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["X", "--name", "Too short", "--country", "GB"], "code"),
        (["PMDA", "--name", "Japan", "--country", "JPN"], "country"),
    ],
)
def test_create_member_refuses_invalid_values(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _call("create_member", *args)

    assert not Member.objects.exists()


def test_create_member_user_creates_a_user_who_can_sign_in(network: Network) -> None:
    output = _call("create_member_user", "Reviewer@TGA.test", "--member", "tga", "--role", "assessor",
                   "--password", "a sufficiently long passphrase")

    user = User.objects.get(email="reviewer@tga.test")
    assert (user.member.code, user.role) == ("TGA", "assessor")
    assert user.check_password("a sufficiently long passphrase")
    assert "reviewer@tga.test" in output


def test_create_member_user_refuses_an_unknown_member(network: Network) -> None:
    with pytest.raises(CommandError, match="NOPE"):
        _call("create_member_user", "someone@nope.test", "--member", "NOPE", "--role", "viewer", "--password", "")

    assert not User.objects.filter(email="someone@nope.test").exists()


def test_create_member_user_refuses_a_known_email(network: Network) -> None:
    with pytest.raises(CommandError, match="already exists"):
        _call("create_member_user", "viewer@mhra.test", "--member", "FDA", "--role", "viewer", "--password", "")


def test_issue_token_prints_one_line_that_authenticates(network: Network) -> None:
    output = _call("issue_token", "publisher@hc.test")

    lines = output.splitlines()
    assert len(lines) == 1
    assert output.endswith("\n")
    token = lines[0]
    assert token.startswith("sax_")
    body = ApiCaller(user=None, token=token).get("/api/v1/me/").json()
    assert body["email"] == "publisher@hc.test"
    assert body["scopes"] == ["read", "acknowledge", "draft", "publish"]


def test_issue_token_with_scopes_and_expiry(network: Network) -> None:
    token = _call("issue_token", "admin@hc.test", "--scopes", "read", "draft", "--expires-days", "7").strip()

    body = ApiCaller(user=None, token=token).get("/api/v1/me/").json()
    assert body["scopes"] == ["read", "draft"]
    assert ApiToken.objects.get(key_prefix=token[:12]).expires_at is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@hc.test"], "No user"),
        (["viewer@hc.test", "--scopes", "publish"], "exceed"),
        (["secretariat@network.test"], "no member"),
        (["viewer@hc.test", "--expires-days", "0"], "expires_days"),
    ],
)
def test_issue_token_refusals_are_errors(network: Network, args: list[str], message: str) -> None:
    before = ApiToken.objects.count()

    with pytest.raises(CommandError, match=message):
        _call("issue_token", *args)

    assert ApiToken.objects.count() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_commands_exit_non_zero_with_the_error_on_stderr() -> None:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "PGPASSWORD": str(db.get("PASSWORD") or ""),
    }

    def manage(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        )

    def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
        _, stderr = process.communicate(timeout=120)
        return process.returncode, stderr

    # Independent commands run side by side; the duplicate needs the first creation to have committed.
    creating = manage("create_member", "EMA", "--name", "European Medicines Agency", "--country", "EU")
    unknown = manage("create_member_user", "x@nope.test", "--member", "NOPE", "--role", "viewer")
    created_code, created_err = finish(creating)
    duplicate_code, duplicate_err = finish(
        manage("create_member", "EMA", "--name", "European Medicines Agency", "--country", "EU")
    )
    unknown_code, unknown_err = finish(unknown)

    assert created_code == 0, created_err
    assert duplicate_code != 0
    assert "EMA already exists" in duplicate_err
    assert unknown_code != 0
    assert "NOPE" in unknown_err
