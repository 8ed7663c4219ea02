"""Translations of safety alerts (SPEC §10.5): added by any member of the audience, signed by it,
marked outdated by a material amendment. The publisher's text stays the authoritative one."""

from __future__ import annotations

from django.utils import timezone

from alerts.choices import AlertStatus, TranslationSource
from alerts.languages import language_tag_normalise, primary_subtag
from alerts.models import Alert, AlertTranslation
from alerts.payloads import translation_signed_payload
from alerts.services.search import alerts_search_refresh
from exchange.errors import Conflict, PermissionRefused, ValidationFailed
from exchange.json_types import JSONObject
from exchange.models import User
from exchange.services.audit import audit_record
from exchange.services.chain import audited_write
from exchange.services.provenance import sign

TRANSLATED_FIELDS = ("title", "summary", "recommended_actions", "description")
_SOURCES_OF_PUBLISHER = (TranslationSource.PUBLISHER, TranslationSource.MACHINE)
_SOURCES_OF_AUDIENCE = (TranslationSource.MEMBER, TranslationSource.MACHINE)


def _checked_language(value: str, *, original: str) -> str:
    language = language_tag_normalise(value)
    if language is None:
        raise ValidationFailed(
            f"language: {value[:40]!r} is not a BCP 47 language tag (e.g. fr, ja, pt-BR).",
            errors={"language": ["not a BCP 47 language tag"]},
        )
    if primary_subtag(language) == primary_subtag(original):
        raise ValidationFailed(
            f"language: the alert is written in {original}; a translation is into another language.",
            errors={"language": [f"the alert's own language ({original})"]},
        )
    return language


def _checked_source(value: str | None, *, is_publisher: bool) -> str:
    allowed = _SOURCES_OF_PUBLISHER if is_publisher else _SOURCES_OF_AUDIENCE
    source = value or allowed[0]
    if source not in allowed:
        who = "the publishing member" if is_publisher else "a member of the audience"
        raise ValidationFailed(
            f"source: a translation by {who} is {' or '.join(allowed)}.",
            errors={"source": [f"one of {', '.join(allowed)}"]},
        )
    return source


@audited_write
def translation_add(*, actor: User, alert: Alert, data: JSONObject) -> tuple[AlertTranslation, bool]:
    """Adds (or replaces) the actor's member's translation of `alert` — an alert the caller has already
    found visible to that member. Answers the translation and whether it is new."""
    member = actor.member
    if member is None:
        raise PermissionRefused("Translations are written by member users.")
    # The alert row serialises translations of one alert (the chain lock was taken first).
    alert = Alert.objects.select_for_update(of=("self",)).get(pk=alert.pk)
    if alert.status == AlertStatus.DRAFT:
        raise Conflict("A draft is translated once it is published.")
    if alert.status == AlertStatus.WITHDRAWN:
        raise Conflict(f"Alert {alert.reference} was withdrawn; it is not translated any more.")
    language = _checked_language(data["language"], original=alert.language)
    source = _checked_source(data.get("source"), is_publisher=alert.publisher_id == member.pk)
    translation = AlertTranslation.objects.filter(alert=alert, language=language, member=member).first()
    created = translation is None
    before = None if translation is None else {
        "language": translation.language, "revision": translation.revision, "source": translation.source,
        "outdated": translation.outdated,
    }
    if translation is None:
        translation = AlertTranslation(alert=alert, member=member, language=language)
    translation.alert = alert
    translation.member = member
    translation.created_by = actor
    translation.source = source
    translation.revision = alert.revision
    translation.created_at = timezone.now()
    translation.outdated_at = None
    for field in TRANSLATED_FIELDS:
        setattr(translation, field, (data.get(field) or "").strip())
    if not translation.title:
        raise ValidationFailed("title: must not be blank.", errors={"title": ["must not be blank"]})
    translation.signature = dict(sign(member=member, payload=translation_signed_payload(translation)))
    translation.save()
    alerts_search_refresh(alert_ids=[alert.pk])  # found by its translations' words too
    audit_record(
        actor=actor, action="alert.translated", object_type="alert", object_id=alert.pk, before=before,
        after={"language": language, "revision": translation.revision, "source": source, "member": member.code},
    )
    return translation, created


def translations_mark_outdated(*, alert: Alert, revision: int) -> int:
    """In the amending transaction: a material amendment makes every translation of an earlier revision outdated."""
    return AlertTranslation.objects.filter(alert=alert, revision__lt=revision, outdated_at__isnull=True).update(
        outdated_at=timezone.now()
    )
