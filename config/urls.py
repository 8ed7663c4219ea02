from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from alerts.feeds import PublicAlertsFeed
from alerts.interop.public_views import public_alert_cap
from config import exceptions, health, metrics
from config.api_root import ApiIndexView, api_not_found
from exchange.portal.language import switch_language


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/v1/", include("exchange.api.urls")),
    path("api/v1/", include("alerts.api.urls")),
    path("api/v1/", ApiIndexView.as_view(), name="api-index"),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),  # after every API route: the rest of /api/ is a 404 problem
    # The public CAP message of a public alert; the public HTML pages are the portal's, under the same prefix.
    path("public/alerts/<str:reference>/cap.xml", public_alert_cap, name="public-alert-cap"),
    path("problems/", exceptions.problem_types, name="problem-types"),
    path("problems/<slug:slug>", exceptions.problem_types, name="problem-type"),
    path("feeds/alerts.atom", PublicAlertsFeed(), name="alerts-atom"),
    path("public/", include("alerts.portal.public_urls")),
    path("healthz", healthz, name="healthz"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics.metrics, name="metrics"),
    # The language switcher: Django's set_language, which also saves a signed-in user's preference.
    path("i18n/setlang/", switch_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The portal (server-rendered pages for regulator staff): sign-in and account, then the pages.
    path("accounts/", include("exchange.portal.account_urls")),
    path("", include("exchange.portal.urls")),
    path("", include("alerts.portal.urls")),
]

handler400 = exceptions.bad_request
handler404 = exceptions.page_not_found
handler500 = exceptions.server_error
