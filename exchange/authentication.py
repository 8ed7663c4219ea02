"""Bearer-token authentication for the REST API (SPEC §6)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from exchange.models import ApiToken, User
from exchange.services.tokens import token_authenticate


class BearerTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        try:
            parts = get_authorization_header(request).split()
        except UnicodeEncodeError as exc:  # a character outside ISO-8859-1: no header a client can send as bytes
            raise AuthenticationFailed("The Authorization header contains characters a token never has.") from exc
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Malformed Authorization header: send 'Authorization: Bearer <token>'.")
        try:
            value = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed("The bearer token contains characters a token never has.") from exc
        token = token_authenticate(value)
        if token is None:
            raise AuthenticationFailed("The bearer token is not valid.")
        if token.revoked_at is not None:
            raise AuthenticationFailed("This token has been revoked; ask your member's admin for a new one.")
        if token.is_expired(timezone.now()):
            raise AuthenticationFailed(
                f"This token expired at {token.expires_at.isoformat() if token.expires_at else ''}; "
                "ask your member's admin for a new one."
            )
        if not token.user.is_active:
            raise AuthenticationFailed("The user this token belongs to is deactivated.")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def request_token(request: Any) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None
