"""An alert as an OASIS CAP 1.2 message (SPEC §6). The mapping is documented in docs/interop.md.

Built element by element with lxml: text is escaped by construction, never pasted into a template.
Pure: works on an alert fetched with `alerts.selectors.alerts_for_export` and runs no query of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.utils import translation
from lxml import etree

from alerts.choices import AlertType, Distribution, Severity
from alerts.interop.common import Links, Message, alert_messages, jurisdiction_name, utc_iso
from alerts.languages import translation_for
from alerts.models import Alert, AlertRevision, AlertTranslation
from exchange.text import xml_safe

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_CONTENT_TYPE = "application/cap+xml"
NETWORK_NAME = "AI Safety Alert Exchange"
RESTRICTION_TEXT = f"{NETWORK_NAME}: for member regulators only (network distribution); do not redistribute."

# severity → CAP severity
CAP_SEVERITY = {
    Severity.CRITICAL: "Extreme",
    Severity.HIGH: "Severe",
    Severity.MEDIUM: "Moderate",
    Severity.LOW: "Minor",
}
# severity → CAP urgency; the alert types in URGENT_TYPES are at least "Expected"
CAP_URGENCY = {
    Severity.CRITICAL: "Immediate",
    Severity.HIGH: "Expected",
    Severity.MEDIUM: "Future",
    Severity.LOW: "Future",
}
URGENT_TYPES = frozenset({AlertType.RECALL, AlertType.FIELD_SAFETY_NOTICE, AlertType.CYBERSECURITY})
# alert type → CAP certainty (how sure the publisher is that the problem occurs) and responseType
CAP_CERTAINTY = {
    AlertType.FIELD_SAFETY_NOTICE: "Observed",
    AlertType.RECALL: "Observed",
    AlertType.PERFORMANCE_DEGRADATION: "Observed",
    AlertType.SOFTWARE_DEFECT: "Observed",
    AlertType.SAFETY_COMMUNICATION: "Likely",
    AlertType.BIAS_OR_INEQUITY: "Likely",
    AlertType.MISUSE: "Likely",
    AlertType.CYBERSECURITY: "Possible",
    AlertType.OTHER: "Possible",
}
CAP_RESPONSE = {
    AlertType.FIELD_SAFETY_NOTICE: "Execute",
    AlertType.RECALL: "Avoid",
    AlertType.PERFORMANCE_DEGRADATION: "Monitor",
    AlertType.SOFTWARE_DEFECT: "Execute",
    AlertType.SAFETY_COMMUNICATION: "Assess",
    AlertType.BIAS_OR_INEQUITY: "Monitor",
    AlertType.MISUSE: "Assess",
    AlertType.CYBERSECURITY: "Execute",
    AlertType.OTHER: "Assess",
}


def cap_urgency(alert: Alert) -> str:
    if alert.closed_at is not None:
        return "Past"
    urgency = CAP_URGENCY[Severity(alert.severity)]
    if urgency == "Future" and alert.alert_type in URGENT_TYPES:
        return "Expected"
    return urgency


def revision_jws(revision: AlertRevision | None) -> str | None:
    """SPEC §8: the revision's compact JWS (detached payload: the revision's JSON as
    `alerts/{id}/revisions/{n}/` shows it, without `signature`), carried as the CAP parameter
    `jws-signature`; None for a revision published before signatures existed."""
    signature = revision.signature if revision is not None else None
    if isinstance(signature, dict) and isinstance(signature.get("jws"), str):
        return str(signature["jws"])
    return None


class _Builder:
    def __init__(self) -> None:
        self.nsmap = {None: CAP_NAMESPACE}

    def element(self, parent: Any, name: str, text: str | None = None) -> Any:
        node = etree.SubElement(parent, f"{{{CAP_NAMESPACE}}}{name}")
        if text is not None:
            node.text = xml_safe(text)
        return node

    def pair(self, parent: Any, name: str, value_name: str, value: str) -> None:
        node = self.element(parent, name)
        self.element(node, "valueName", value_name)
        self.element(node, "value", value)


def _sender(alert: Alert, links: Links) -> str:
    host = urlsplit(links.site).hostname or "localhost"  # without port or IPv6 brackets
    return f"{alert.publisher.code}@{host}"


def _description(alert: Alert, message: Message) -> str:
    parts = [alert.summary, alert.description]
    if alert.hazard:
        parts.append(f"Hazard: {alert.hazard}")
    if alert.harm:
        parts.append(f"Harm: {alert.harm}")
    if message.kind in ("closed", "withdrawn") and alert.resolution:
        parts.append(f"Closed: {alert.resolution}")
    if message.kind == "withdrawn":
        parts.append(f"Withdrawn: {alert.withdrawal_reason}")
    return "\n\n".join(part for part in parts if part)


def _note(alert: Alert, message: Message) -> str | None:
    if message.kind == "withdrawn":
        return f"Withdrawn (issued in error): {alert.withdrawal_reason}"
    if message.kind == "closed":
        return f"Closed (resolved): {alert.resolution}"
    if message.kind == "revision" and message.revision is not None and message.revision.number > 1:
        material = "material" if message.revision.material else "not material"
        return f"Amendment, revision {message.revision.number} ({material}): {message.revision.change_summary}"
    return None


def _versions_text(row: Any) -> str:
    """What an affected tool's row says of versions: the registered versions matched, else the
    specifier as given, else every version."""
    return ", ".join(row.affected_versions or []) or row.versions or "all"


def _header(b: _Builder, root: Any, alert: Alert, message: Message, earlier: list[Message], sender: str) -> None:
    b.element(root, "identifier", message.identifier)
    b.element(root, "sender", sender)
    b.element(root, "sent", utc_iso(message.sent))
    b.element(root, "status", "Draft" if message.kind == "draft" else "Actual")
    msg_type = {"draft": "Alert", "withdrawn": "Cancel"}.get(message.kind)
    b.element(root, "msgType", msg_type or ("Alert" if not earlier else "Update"))
    b.element(root, "source", f"{NETWORK_NAME}, published by {alert.publisher.code} ({alert.publisher.name})")
    _scope(b, root, alert)
    note = _note(alert, message)
    if note:
        b.element(root, "note", note)
    if earlier:
        b.element(root, "references", " ".join(f"{sender},{m.identifier},{utc_iso(m.sent)}" for m in earlier))
    if alert.reference:
        b.element(root, "incidents", alert.reference)


def _scope(b: _Builder, root: Any, alert: Alert) -> None:
    if alert.distribution == Distribution.PUBLIC:
        b.element(root, "scope", "Public")
    elif alert.distribution == Distribution.NETWORK:
        b.element(root, "scope", "Restricted")
        b.element(root, "restriction", RESTRICTION_TEXT)
    else:
        b.element(root, "scope", "Private")
        # Member codes contain no spaces, so CAP's space-separated list needs no quoting.
        codes = sorted(row.member.code for row in alert.recipient_rows.all())
        b.element(root, "addresses", " ".join(codes) or alert.publisher.code)


def _info_head(b: _Builder, info: Any, alert: Alert, message: Message, links: Links) -> None:
    b.element(info, "language", alert.language)
    _info_kind(b, info, alert, message)
    b.pair(info, "eventCode", "SAX-ALERT-TYPE", alert.alert_type)
    for code in alert.imdrf_codes or []:
        b.pair(info, "eventCode", "IMDRF-AET", code)
    if alert.published_at is not None:
        b.element(info, "effective", utc_iso(alert.published_at))
    b.element(info, "senderName", alert.publisher.name)
    b.element(info, "headline", alert.title)
    description = _description(alert, message)
    if description:
        b.element(info, "description", description)
    if alert.recommended_actions:
        b.element(info, "instruction", alert.recommended_actions)
    b.element(info, "web", links.page(alert))
    b.element(info, "contact", f"{alert.publisher.name} ({alert.publisher.code})")


def _info_kind(b: _Builder, info: Any, alert: Alert, message: Message) -> None:
    """category … certainty: the same in every language's info block."""
    b.element(info, "category", "Health")
    b.element(info, "event", f"{AlertType(alert.alert_type).label} — AI medical tool")
    b.element(info, "responseType", "AllClear" if message.kind == "closed" else CAP_RESPONSE[AlertType(alert.alert_type)])
    b.element(info, "urgency", cap_urgency(alert))
    b.element(info, "severity", CAP_SEVERITY[Severity(alert.severity)])
    b.element(info, "certainty", CAP_CERTAINTY[AlertType(alert.alert_type)])


def _translated_info(b: _Builder, root: Any, alert: Alert, message: Message, links: Links,
                     translation: AlertTranslation) -> None:
    """One more `info` block in a translation's language (SPEC §10.5): the translated headline, text and
    instructions, saying who translated it; the publisher's block stays first and authoritative."""
    info = b.element(root, "info")
    b.element(info, "language", translation.language)
    _info_kind(b, info, alert, message)
    b.pair(info, "eventCode", "SAX-ALERT-TYPE", alert.alert_type)
    if alert.published_at is not None:
        b.element(info, "effective", utc_iso(alert.published_at))
    b.element(info, "senderName", alert.publisher.name)
    b.element(info, "headline", translation.title)
    description = "\n\n".join(part for part in (translation.summary, translation.description) if part)
    if description:
        b.element(info, "description", description)
    if translation.recommended_actions:
        b.element(info, "instruction", translation.recommended_actions)
    b.element(info, "web", links.page(alert))
    b.pair(info, "parameter", "sax-alert-id", str(alert.pk))
    b.pair(info, "parameter", "translated-by", translation.member.code)
    b.pair(info, "parameter", "translation-source", translation.source)
    b.pair(info, "parameter", "translation-of-revision", str(translation.revision))
    if isinstance(translation.signature, dict) and isinstance(translation.signature.get("jws"), str):
        b.pair(info, "parameter", "translation-jws-signature", str(translation.signature["jws"]))
    _area(b, info, alert)


def cap_translations(alert: Alert) -> list[AlertTranslation]:
    """The current translation shown for each language other than the alert's own, in language order."""
    current = [t for t in alert.translations.all() if not t.outdated]
    chosen = []
    for language in sorted({t.language for t in current}):
        pick = translation_for(current, language=language, original=alert.language)
        if pick is not None and pick.language == language:
            chosen.append(pick)
    return chosen


def _tool_parameters(b: _Builder, info: Any, alert: Alert) -> None:
    for index, row in enumerate(alert.affected_tool_rows.all(), start=1):
        tool = row.tool
        b.pair(info, "parameter", f"tool-{index}", f"{tool.name} ({tool.manufacturer})")
        b.pair(info, "parameter", f"tool-{index}-id", str(tool.pk))
        b.pair(info, "parameter", f"tool-{index}-versions", row.versions or "all")
        for identifier in tool.identifiers.all():
            b.pair(info, "parameter", f"tool-{index}-identifier", f"{identifier.system}|{identifier.value}")
    # SPEC §10.2: the affected versions and the fixing version, one of each per tool in tool order.
    for row in alert.affected_tool_rows.all():
        b.pair(info, "parameter", "affected-versions", _versions_text(row))
        if row.fixed_in:
            b.pair(info, "parameter", "fixed-in", row.fixed_in)


def _parameters(
    b: _Builder, info: Any, alert: Alert, message: Message, imdrf_terms: dict[str, str] | None,
    signature: Callable[[AlertRevision | None], str | None] | None,
) -> None:
    b.pair(info, "parameter", "sax-alert-id", str(alert.pk))
    if alert.reference:
        b.pair(info, "parameter", "sax-reference", alert.reference)
    b.pair(info, "parameter", "sax-status", alert.status)
    b.pair(info, "parameter", "sax-severity", alert.severity)
    if message.revision is not None:
        b.pair(info, "parameter", "sax-revision", str(message.revision.number))
    if alert.publisher_reference:
        b.pair(info, "parameter", "publisher-reference", alert.publisher_reference)
    _tool_parameters(b, info, alert)
    for code in alert.imdrf_codes or []:
        term = (imdrf_terms or {}).get(code)
        if term:
            b.pair(info, "parameter", "imdrf-term", f"{code} {term}")
    jws = (signature or revision_jws)(message.revision)
    if jws:
        b.pair(info, "parameter", "jws-signature", jws)


def _area(b: _Builder, info: Any, alert: Alert) -> None:
    area = b.element(info, "area")
    codes = sorted(row.jurisdiction for row in alert.jurisdiction_rows.all())
    b.element(area, "areaDesc", ", ".join(jurisdiction_name(code) for code in codes)
              or "Every jurisdiction where the affected tools are used")
    for code in codes:
        b.pair(area, "geocode", "ISO3166-1", code)  # EU: ISO's exceptionally reserved alpha-2 code


@translation.override("en")  # machine-readable: the vocabulary's English words, whoever asks
def cap_message(
    alert: Alert,
    *,
    links: Links,
    imdrf_terms: dict[str, str] | None = None,
    signature: Callable[[AlertRevision | None], str | None] | None = None,
) -> bytes:
    """The alert's current CAP message, as UTF-8 XML bytes."""
    revisions = list(alert.revisions.all())
    history = alert_messages(alert, revisions)
    message, earlier = history[-1], history[:-1]
    b = _Builder()
    root = etree.Element(f"{{{CAP_NAMESPACE}}}alert", nsmap=b.nsmap)
    _header(b, root, alert, message, earlier, _sender(alert, links))
    info = b.element(root, "info")
    _info_head(b, info, alert, message, links)
    _parameters(b, info, alert, message, imdrf_terms, signature)
    _area(b, info, alert)
    for text_in_language in cap_translations(alert):
        _translated_info(b, root, alert, message, links, text_in_language)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
