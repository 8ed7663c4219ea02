"""RELIANCE_REVIEW_HOURS is read once, typed and strict (SPEC §10.7)."""

from __future__ import annotations

import pytest

from config import env


def test_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELIANCE_REVIEW_HOURS", raising=False)

    assert env.reliance_review_hours("RELIANCE_REVIEW_HOURS") == {
        "critical": 24, "high": 48, "medium": 72, "low": 168, "change": 72, "lapsed": 24}


def test_a_value_changes_only_what_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELIANCE_REVIEW_HOURS", "critical=12, change=96")

    hours = env.reliance_review_hours("RELIANCE_REVIEW_HOURS")

    assert (hours["critical"], hours["change"], hours["high"]) == (12, 96, 48)


@pytest.mark.parametrize("value", ["urgent=1", "critical=soon", "critical=0", "critical", "low=none"])
def test_a_bad_value_stops_start_up_naming_the_setting(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("RELIANCE_REVIEW_HOURS", value)

    with pytest.raises(env.SettingError) as raised:
        env.reliance_review_hours("RELIANCE_REVIEW_HOURS")
    assert "RELIANCE_REVIEW_HOURS" in str(raised.value)
    assert value in str(raised.value)
