"""Per-token rate limit (API_RATE_LIMIT, e.g. '600/min'; 'off' disables)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from exchange.authentication import request_token

logger = logging.getLogger(__name__)


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_rate(self) -> str | None:
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = request_token(request)
        if token is None:
            return None
        return f"throttle:token:{token.pk}"

    def allow_request(self, request: Request, view: Any) -> bool:
        """While the cache (Redis) is unreachable the limit is not enforced: the API keeps answering."""
        try:
            return super().allow_request(request, view)
        except Exception as exc:
            if type(exc).__module__.startswith("redis"):
                logger.warning("Rate limit not enforced: the cache is unreachable (%s)", type(exc).__name__)
                return True
            raise
