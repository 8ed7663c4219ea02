from tests.portal_support import _static_from_finders, draft_alert, page, portal_tool, restricted_alert

__all__ = ["_static_from_finders", "draft_alert", "page", "portal_tool", "restricted_alert"]
