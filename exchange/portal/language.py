"""The portal's language (SPEC §10.5): a signed-in user's own `language` wins; signed out, the
switcher's cookie, then Accept-Language (Django's LocaleMiddleware decides those).

`UserLanguageMiddleware` runs after AuthenticationMiddleware and activates the user's preference for
portal pages (the API keeps Accept-Language). `switch_language` is the switcher's target: Django's
`set_language` (cookie and redirect), and for a signed-in user, the preference through its service.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from exchange.errors import ValidationFailed
from exchange.portal.access import portal_of
from exchange.services.preferences import preferences_clean, preferences_of, preferences_update

# Paths whose language is negotiated by Accept-Language alone (machine clients).
NOT_PORTAL = ("/api/", "/feeds/", "/health", "/metrics", "/static/")


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        portal = None if request.path.startswith(NOT_PORTAL) else portal_of(request)
        if portal is not None:
            language = str(preferences_of(user=portal.user).language or "")
            if language in dict(settings.LANGUAGES):
                # Only for this request: the thread's language is put back afterwards, so nothing
                # the thread does next (another request's e-mail, a test) speaks the user's language.
                with translation.override(language):
                    request.LANGUAGE_CODE = language
                    response = self.get_response(request)
                response.headers["Content-Language"] = language
                return response
        return self.get_response(request)


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    response = set_language(request)
    portal = portal_of(request)
    if portal is not None:
        try:
            changes = preferences_clean({"language": request.POST.get("language", "")})
        except ValidationFailed:
            return response  # an unknown language changes nothing (Django's view ignored it too)
        preferences_update(actor=portal.user, user=portal.user, changes=changes)
    return response
