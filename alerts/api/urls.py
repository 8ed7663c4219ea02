from django.urls import path
from rest_framework.routers import SimpleRouter

from alerts.api import (
    alert_views,
    inbox_views,
    inquiry_views,
    report_views,
    stats_views,
    terminology_views,
    views,
)

router = SimpleRouter()
router.register("tools", views.ToolViewSet, basename="tool")
router.register("alerts", alert_views.AlertViewSet, basename="alert")
router.register("reports", report_views.ReportViewSet, basename="report")
router.register("signals", report_views.SignalViewSet, basename="signal")
router.register("requests", inquiry_views.InquiryViewSet, basename="request")

authorizations = views.AuthorizationViewSet
urlpatterns = [
    *router.urls,
    path("inbox/", inbox_views.InboxView.as_view(), name="inbox"),
    path("imdrf-terms/", terminology_views.ImdrfTermListView.as_view(), name="imdrf-term-list"),
    path(
        "acknowledgement-stats/", stats_views.AcknowledgementStatsView.as_view(), name="acknowledgement-stats",
    ),
    path("tools/<str:pk>/performance/", views.ToolPerformanceView.as_view(), name="tool-performance"),
    path(
        "tools/<str:tool_pk>/authorizations/",
        authorizations.as_view({"get": "list", "post": "create"}),
        name="tool-authorization-list",
    ),
    path(
        "tools/<str:tool_pk>/authorizations/<str:pk>/",
        authorizations.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="tool-authorization-detail",
    ),
]
