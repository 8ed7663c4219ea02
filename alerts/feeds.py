"""The public Atom feed of public safety alerts (latest revision), readable without login."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language, gettext, gettext_lazy
from django.utils.xmlutils import SimplerXMLGenerator

from alerts.interop.cap import CAP_CONTENT_TYPE
from alerts.languages import translation_for
from alerts.models import Alert, AlertTranslation
from alerts.selectors import alerts_public, alerts_with_details
from exchange.links import absolute_url
from exchange.text import xml_safe


class XmlSafeGenerator(SimplerXMLGenerator):
    """Every text and attribute value written through `xml_safe`: what a member typed (a title, a
    resolution, a tool's manufacturer, its own name) can hold characters XML cannot carry, and one
    such alert must not take the feed down for every reader."""

    def characters(self, content: str) -> None:
        super().characters(xml_safe(content))

    def startElement(self, name: str, attrs: Any) -> None:
        safe: Any = {key: xml_safe(value) for key, value in (attrs or {}).items()}
        super().startElement(name, safe)


class CapLinkedAtomFeed(Atom1Feed):
    """Atom whose entries also link to their CAP message, so that CAP aggregators can follow the feed.

    Entry summaries are `type="text"` (SPEC §6): Django's default is `type="html"`, which would hand
    feed readers markup built from what a publisher typed.
    """

    def write(self, outfile: Any, encoding: str) -> None:
        handler = XmlSafeGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        description = item.get("description")
        super().add_item_elements(handler, {**item, "description": None})
        if description is not None:
            handler.addQuickElement("summary", description, {"type": "text"})
        if item.get("cap_link"):
            handler.addQuickElement("link", "", {"rel": "alternate", "type": CAP_CONTENT_TYPE, "href": item["cap_link"]})


def _translation(item: Alert) -> AlertTranslation | None:
    """The translation a reader of the request's language is shown (SPEC §10.5: the feed negotiates)."""
    return translation_for(item.translations.all(), language=get_language(), original=item.language)


def _localized(item: Alert, field: str) -> str:
    translated = _translation(item)
    text = getattr(translated, field, "") if translated is not None else ""
    return str(text or getattr(item, field))


class PublicAlertsFeed(Feed[Alert, None]):
    feed_type = CapLinkedAtomFeed
    # The feed's own words follow the negotiated language (SPEC §10.5), like its items' texts.
    title = gettext_lazy("AI Safety Alert Exchange — public safety alerts")
    # Absolute links from SITE_URL (SPEC §6): Django would otherwise prefix the request's host.
    subtitle = gettext_lazy("Public safety alerts about AI medical tools, published by member regulators.")
    author_name = "AI Safety Alert Exchange"

    def items(self) -> QuerySet[Alert]:
        return alerts_with_details(alerts_public()).order_by("-updated_at")[:100]

    def item_title(self, item: Alert) -> str:
        prefix = {"withdrawn": gettext("[Withdrawn]") + " ", "closed": gettext("[Closed]") + " "}.get(item.status, "")
        return f"{prefix}{item.reference}: {_localized(item, 'title')}"

    def item_description(self, item: Alert) -> str:
        tools = ", ".join(f"{row.tool.name} ({row.tool.manufacturer})" for row in item.affected_tool_rows.all())
        translated = _translation(item)
        parts = [
            gettext("Severity: %(severity)s. Type: %(type)s. Publisher: %(publisher)s.") % {
                "severity": item.get_severity_display(), "type": item.get_alert_type_display(),
                "publisher": item.publisher.code},
            (gettext("Translated by %(member)s from %(language)s; the original is on the linked page.") % {
                "member": translated.member.code, "language": item.language} if translated else ""),
            gettext("Affected tools: %(tools)s.") % {"tools": tools} if tools else "",
            _localized(item, "summary"),
            (gettext("Recommended actions: %(actions)s") % {"actions": _localized(item, "recommended_actions")}
             if item.recommended_actions else ""),
            gettext("Withdrawn: %(reason)s") % {"reason": item.withdrawal_reason} if item.status == "withdrawn" else "",
            gettext("Resolution: %(resolution)s") % {"resolution": item.resolution} if item.status == "closed" else "",
        ]
        return "\n\n".join(part for part in parts if part)

    def link(self) -> str:
        return absolute_url(reverse("public-alert-list"))

    def feed_url(self) -> str:
        return absolute_url("/feeds/alerts.atom")

    def item_link(self, item: Alert) -> str:
        # The public page (readable without signing in); the portal's page is for members.
        return absolute_url(f"/public/alerts/{item.reference}/")

    def item_extra_kwargs(self, item: Alert) -> dict[str, Any]:
        return {"cap_link": absolute_url(reverse("public-alert-cap", args=[item.reference]))}

    def item_guid(self, item: Alert) -> str:
        return f"urn:uuid:{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Alert) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Alert) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Alert) -> str:
        return item.publisher.name

    def item_categories(self, item: Alert) -> list[str]:
        return [item.alert_type, item.severity]
