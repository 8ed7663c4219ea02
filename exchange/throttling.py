"""Per-token rate limit (API_RATE_LIMIT, e.g. '600/min'; 'off' disables)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from exchange.authentication import request_token


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_rate(self) -> str | None:
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = request_token(request)
        if token is None:
            return None
        return f"throttle:token:{token.pk}"
