"""Notification preferences (SPEC §10.4, Appendix B): the defaults, reading, and the one write.

A user without a row has the defaults. The API and the portal page only type the input; every rule
about what a preference may say is here (`preferences_clean`), so both answer the same errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from exchange.choices import Language, NoticeMode, PreferenceItem
from exchange.errors import ValidationFailed
from exchange.json_types import JSONObject, JSONValue
from exchange.models import NotificationPreferences, User
from exchange.services.audit import audit_record_change
from exchange.services.chain import audited_write

# Critical and high alerts, reliance reviews and requests addressed to the member: at once; the rest
# in the daily digest (SPEC §10.4).
DEFAULT_ITEMS: dict[str, str] = {
    PreferenceItem.ALERT_CRITICAL: NoticeMode.IMMEDIATE,
    PreferenceItem.ALERT_HIGH: NoticeMode.IMMEDIATE,
    PreferenceItem.ALERT_MEDIUM: NoticeMode.DAILY_DIGEST,
    PreferenceItem.ALERT_LOW: NoticeMode.DAILY_DIGEST,
    PreferenceItem.REPORT: NoticeMode.DAILY_DIGEST,
    PreferenceItem.SIGNAL: NoticeMode.DAILY_DIGEST,
    PreferenceItem.RELIANCE_REVIEW: NoticeMode.IMMEDIATE,
    PreferenceItem.REQUEST: NoticeMode.IMMEDIATE,
    PreferenceItem.PROBLEM: NoticeMode.DAILY_DIGEST,
}
# The order of Appendix B, in which the API shows the items.
ITEM_ORDER: tuple[str, ...] = (
    "alert.critical", "alert.high", "alert.medium", "alert.low", "report", "signal", "reliance_review",
    "request", "problem",
)
DEFAULT_TIMEZONE = "UTC"
DEFAULT_DIGEST_HOUR = 8
DEFAULT_LANGUAGE = Language.EN


@dataclass(frozen=True)
class Preferences:
    timezone: str = DEFAULT_TIMEZONE
    digest_hour: int = DEFAULT_DIGEST_HOUR
    language: str = DEFAULT_LANGUAGE
    items: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ITEMS))
    explicit: frozenset[str] = frozenset()  # the items the user chose (the others are defaults)

    @property
    def zone(self) -> ZoneInfo:
        return zone_or_utc(self.timezone)

    def mode(self, item: str) -> str:
        return self.items.get(item, DEFAULT_ITEMS.get(item, NoticeMode.DAILY_DIGEST))

    def mode_for(self, item: str, *, addressed: bool = True) -> str:
        """The mode for one item of one event. A request not addressed to the user's member (one it
        sees by its audience confidentiality) goes to the digest unless the user chose otherwise:
        the default sends at once only requests addressed to the member (SPEC §10.4)."""
        mode = self.mode(item)
        if item == PreferenceItem.REQUEST and not addressed and item not in self.explicit and mode == NoticeMode.IMMEDIATE:
            return NoticeMode.DAILY_DIGEST
        return mode

    def as_json(self) -> JSONObject:
        return {
            "timezone": self.timezone, "digest_hour": self.digest_hour, "language": self.language,
            "items": {item: self.mode(item) for item in ITEM_ORDER},
        }


def zone_or_utc(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _preferences(row: NotificationPreferences | None) -> Preferences:
    if row is None:
        return Preferences()
    stored = row.items if isinstance(row.items, dict) else {}
    items = {**DEFAULT_ITEMS, **{k: v for k, v in stored.items() if k in DEFAULT_ITEMS and v in NoticeMode.values}}
    return Preferences(timezone=row.timezone, digest_hour=row.digest_hour, language=row.language, items=items,
                       explicit=frozenset(k for k in stored if k in DEFAULT_ITEMS))


def preferences_of(*, user: User) -> Preferences:
    return _preferences(NotificationPreferences.objects.filter(user=user).first())


def preferences_of_users(*, user_ids: list[int]) -> dict[int, Preferences]:
    """Every user's preferences in one query (defaults for those without a row)."""
    rows = {row.user_id: row for row in NotificationPreferences.objects.filter(user_id__in=user_ids)}
    return {user_id: _preferences(rows.get(user_id)) for user_id in user_ids}


def _valid_timezones() -> frozenset[str]:
    global _TIMEZONES
    if _TIMEZONES is None:
        _TIMEZONES = frozenset(available_timezones())
    return _TIMEZONES


_TIMEZONES: frozenset[str] | None = None


def _clean_items(value: JSONValue, errors: dict[str, list[str]]) -> dict[str, str]:
    if not isinstance(value, dict):
        errors["items"] = ["must be an object of item -> immediate | daily_digest | off"]
        return {}
    items: dict[str, str] = {}
    for key, mode in value.items():
        if key not in DEFAULT_ITEMS:
            errors[f"items.{key}"] = [f"unknown item; one of {', '.join(ITEM_ORDER)}"]
        elif not isinstance(mode, str) or mode not in NoticeMode.values:
            errors[f"items.{key}"] = [f"must be one of {', '.join(NoticeMode.values)}"]
        else:
            items[key] = mode
    return items


def preferences_clean(data: JSONValue) -> JSONObject:
    """The changes a request asks for, or ValidationFailed naming every bad field.

    Fields left out keep their value; `items` may name some items only.
    """
    if not isinstance(data, dict):
        raise ValidationFailed("The preferences must be a JSON object.", errors={"non_field_errors": ["not an object"]})
    errors: dict[str, list[str]] = {}
    known = {"timezone", "digest_hour", "language", "items"}
    for key in sorted(set(data) - known):
        errors[key] = [f"unknown field; the fields are {', '.join(sorted(known))}"]
    changes: JSONObject = {}
    if "timezone" in data:
        tz = data["timezone"]
        if not isinstance(tz, str) or tz not in _valid_timezones():
            errors["timezone"] = ["must be an IANA time zone name, e.g. Europe/London"]
        else:
            changes["timezone"] = tz
    if "digest_hour" in data:
        hour = data["digest_hour"]
        if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
            errors["digest_hour"] = ["must be a whole hour from 0 to 23"]
        else:
            changes["digest_hour"] = hour
    if "language" in data:
        if data["language"] not in Language.values:
            errors["language"] = [f"must be one of {', '.join(Language.values)}"]
        else:
            changes["language"] = data["language"]
    if "items" in data:
        changes["items"] = _clean_items(data["items"], errors)
    if errors:
        detail = "; ".join(f"{name}: {messages[0]}" for name, messages in errors.items())
        raise ValidationFailed(detail, errors=errors)
    return changes


@audited_write
def preferences_update(*, actor: User, user: User, changes: JSONObject) -> Preferences:
    """Apply cleaned changes to a user's preferences; repeating them changes nothing (and audits nothing)."""
    row = NotificationPreferences.objects.select_for_update(of=("self",)).filter(user=user).first()
    before = _preferences(row)
    if row is None:
        row = NotificationPreferences(user=user, timezone=before.timezone, digest_hour=before.digest_hour,
                                      language=before.language, items={})
    stored = dict(row.items) if isinstance(row.items, dict) else {}
    stored.update(changes.get("items", {}))
    row.items = {key: stored[key] for key in ITEM_ORDER if key in stored}
    for name in ("timezone", "digest_hour", "language"):
        if name in changes:
            setattr(row, name, changes[name])
    after = _preferences(row)
    if after.as_json() != before.as_json() or after.explicit != before.explicit:
        row.save()
    audit_record_change(
        actor=actor, action="user.notification_preferences_updated", object_type="user", object_id=user.pk,
        before=before.as_json(), after=after.as_json(), member_code=user.member.code if user.member else "",
    )
    return after
