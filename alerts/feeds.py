"""The public Atom feed of public safety alerts (latest revision), readable without login."""

from __future__ import annotations

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.utils.feedgenerator import Atom1Feed

from alerts.models import Alert
from alerts.selectors import alerts_public, alerts_with_details


class PublicAlertsFeed(Feed[Alert, None]):
    feed_type = Atom1Feed
    title = "AI Safety Alert Exchange — public safety alerts"
    link = "/feeds/alerts.atom"
    subtitle = "Public safety alerts about AI medical tools, published by member regulators."
    author_name = "AI Safety Alert Exchange"

    def items(self) -> QuerySet[Alert]:
        return alerts_with_details(alerts_public()).order_by("-updated_at")[:100]

    def item_title(self, item: Alert) -> str:
        prefix = {"withdrawn": "[Withdrawn] ", "closed": "[Closed] "}.get(item.status, "")
        return f"{prefix}{item.reference}: {item.title}"

    def item_description(self, item: Alert) -> str:
        tools = ", ".join(f"{row.tool.name} ({row.tool.manufacturer})" for row in item.affected_tool_rows.all())
        parts = [
            f"Severity: {item.severity}. Type: {item.get_alert_type_display()}. Publisher: {item.publisher.code}.",
            f"Affected tools: {tools}." if tools else "",
            item.summary,
            f"Recommended actions: {item.recommended_actions}" if item.recommended_actions else "",
            f"Withdrawn: {item.withdrawal_reason}" if item.status == "withdrawn" else "",
            f"Resolution: {item.resolution}" if item.status == "closed" else "",
        ]
        return "\n\n".join(part for part in parts if part)

    def item_link(self, item: Alert) -> str:
        return f"/alerts/{item.pk}/"

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
