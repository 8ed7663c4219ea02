"""Public pages, mounted at /public/ (no sign-in)."""

from __future__ import annotations

from django.urls import path

from alerts.portal import public_views

urlpatterns = [
    path("alerts/", public_views.public_alert_list, name="public-alert-list"),
    path("alerts/<str:reference>/", public_views.public_alert_detail, name="public-alert-detail"),
]
