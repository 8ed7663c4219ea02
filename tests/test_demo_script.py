"""What `make demo` says in the terminal (issue #25, item 8): the install names its steps and is never
silent for more than 10 s, the banner comes after the credentials it points at, and each request
is one line (runserver's own access line is off; the demo receiver's deliveries are tested in
tests/alerts/portal/test_demo_loop.py)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_install_is_never_silent_for_more_than_ten_seconds() -> None:
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text()
    heartbeat = re.search(r"while sleep (\d+); do echo", bootstrap)
    assert heartbeat, "the install has no heartbeat while pip is quiet"
    assert int(heartbeat.group(1)) <= 10
    assert "Collecting|Building|Installing collected|Successfully" in bootstrap  # each package named


def test_the_banner_follows_the_credentials_it_points_at() -> None:
    demo = (ROOT / "scripts" / "demo.sh").read_text()
    credentials = demo.index("sed -n '/^Demo data ready/,$p'")
    banner = demo.index("cat <<BANNER")
    assert credentials < banner < demo.index("runserver")
    text = demo[banner:demo.index("\nBANNER\n", banner + 1)]
    assert "just above this banner" in text
    assert "below" not in text


def test_runserver_adds_no_second_line_per_request() -> None:
    assert not logging.getLogger("django.server").isEnabledFor(logging.ERROR)
    assert logging.getLogger("config.requests").isEnabledFor(logging.INFO)
