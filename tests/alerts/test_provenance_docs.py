"""The verification recipes of docs/provenance.md work as written, on a real revision."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings

from alerts.models import Tool
from tests.alerts.factories import alert_payload
from tests.factories import Network
from tests.helpers import ApiCaller

DOC = (Path(settings.BASE_DIR) / "docs" / "provenance.md").read_text()


def _block(language: str, index: int = 0) -> str:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.DOTALL)[index]


@pytest.fixture
def saved(network: Network, tool: Tool, api: Callable[..., ApiCaller], tmp_path: Path) -> Path:
    """A revision and its publisher's JWKS, saved as a member would keep them."""
    mhra, fda = api(network.mhra.publisher), api(network.fda.viewer)
    draft = mhra.post("/api/v1/alerts/", alert_payload(tools=[tool], title="Faux négatifs — 3 % ≥ 6 mm")).json()
    assert mhra.post(f"/api/v1/alerts/{draft['id']}/publish/").status_code == 200
    revision = fda.get(f"/api/v1/alerts/{draft['id']}/revisions/").json()["results"][0]
    (tmp_path / "revision.json").write_text(json.dumps(revision, ensure_ascii=False, indent=2))
    (tmp_path / "jwks.json").write_text(json.dumps(fda.get("/api/v1/members/MHRA/keys/").json()))
    (tmp_path / "verify_revision.py").write_text(_block("python"))
    return tmp_path


def _python(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-W", "ignore", "verify_revision.py", "revision.json", "jwks.json"],
                          cwd=folder, capture_output=True, text=True, timeout=60)


def _tamper(folder: Path) -> None:
    revision = json.loads((folder / "revision.json").read_text())
    revision["content"]["title"] = revision["content"]["title"].replace("3 %", "2 %")
    (folder / "revision.json").write_text(json.dumps(revision))


def test_the_python_example_verifies_and_refuses_one_changed_character(saved: Path) -> None:
    good = _python(saved)
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("verified: signed with key MHRA-")

    _tamper(saved)
    bad = _python(saved)
    assert bad.returncode != 0
    assert "BadSignatureError" in bad.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_openssl_recipe_verifies_and_refuses_one_changed_character(saved: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", _block("sh")], cwd=saved, capture_output=True, text=True, env=env,
                              timeout=60)

    good = run()
    assert good.returncode == 0, good.stderr
    assert "Signature Verified Successfully" in good.stdout

    _tamper(saved)
    bad = run()
    assert bad.returncode != 0
    assert "Signature Verified Successfully" not in bad.stdout
