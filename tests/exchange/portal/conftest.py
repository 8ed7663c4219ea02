from tests.portal_support import draft_alert, page, portal_tool, restricted_alert

__all__ = ["draft_alert", "page", "portal_tool", "restricted_alert"]
