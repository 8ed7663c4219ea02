from django.urls import path
from rest_framework.routers import SimpleRouter

from alerts.api import (
    alert_views,
    inbox_views,
    inquiry_views,
    reliance_views,
    report_views,
    stats_views,
    terminology_views,
    version_views,
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
    path("reliance/reviews/", reliance_views.RelianceReviewListView.as_view(), name="reliance-review-list"),
    path("reliance/reviews/<str:pk>/", reliance_views.RelianceReviewDetailView.as_view(),
         name="reliance-review-detail"),
    path("reliance/reviews/<str:pk>/decision/", reliance_views.RelianceReviewDecisionView.as_view(),
         name="reliance-review-decision"),
    path("imdrf-terms/", terminology_views.ImdrfTermListView.as_view(), name="imdrf-term-list"),
    path(
        "acknowledgement-stats/", stats_views.AcknowledgementStatsView.as_view(), name="acknowledgement-stats",
    ),
    path("tools/<str:pk>/performance/", views.ToolPerformanceView.as_view(), name="tool-performance"),
    path("tools/<str:tool_pk>/versions/", version_views.ToolVersionListView.as_view(), name="tool-version-list"),
    path(
        "tools/<str:tool_pk>/versions/<str:pk>/withdraw/", version_views.ToolVersionWithdrawView.as_view(),
        name="tool-version-withdraw",
    ),
    path("alerts/<str:pk>/fix-check/", version_views.AlertFixCheckView.as_view(), name="alert-fix-check"),
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
