"""Portal pages of the content (mounted at the site root): inbox, alerts, tools, signals, reports."""

from __future__ import annotations

from django.urls import path

from alerts.portal import (
    dashboard_views,
    inquiry_views,
    link_views,
    list_views,
    notification_views,
    picker_views,
    registry_views,
    reliance_views,
    report_views,
    views,
)

app_name = "portal"

urlpatterns = [
    path("", list_views.inbox, name="inbox"),
    path("pick/<slug:kind>/", picker_views.pick, name="pick"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("notifications/", notification_views.notifications, name="notifications"),
    path("alerts/", list_views.alert_list, name="alert-list"),
    path("alerts/new/", views.alert_create, name="alert-create"),
    path("alerts/<uuid:pk>/", views.alert_detail, name="alert-detail"),
    path("alerts/<uuid:pk>/edit/", views.alert_edit, name="alert-edit"),
    path("alerts/<uuid:pk>/publish/", views.alert_publish, name="alert-publish"),
    path("alerts/<uuid:pk>/delete/", views.alert_delete, name="alert-delete"),
    path("alerts/<uuid:pk>/amend/", views.alert_amend, name="alert-amend"),
    path("alerts/<uuid:pk>/close/", views.alert_close, name="alert-close"),
    path("alerts/<uuid:pk>/withdraw/", views.alert_withdraw, name="alert-withdraw"),
    path("alerts/<uuid:pk>/acknowledge/", views.alert_acknowledge, name="alert-acknowledge"),
    path("alerts/<uuid:pk>/acknowledge/carry-forward/", views.alert_carry_forward, name="alert-carry-forward"),
    path("alerts/<uuid:pk>/deadline/", views.alert_extend_deadline, name="alert-deadline"),
    path("alerts/<uuid:pk>/links/", link_views.alert_link_add, name="alert-link-add"),
    path("alerts/<uuid:pk>/links/<uuid:link_id>/remove/", link_views.alert_link_remove, name="alert-link-remove"),
    path("tools/", registry_views.tool_list, name="tool-list"),
    path("reliance/", reliance_views.reliance, name="reliance"),
    path("reliance/reviews/<uuid:pk>/decide/", reliance_views.reliance_decide, name="reliance-decide"),
    path("tools/<uuid:pk>/", registry_views.tool_detail, name="tool-detail"),
    path("signals/", registry_views.signal_list, name="signal-list"),
    path("signals/<uuid:pk>/draft-alert/", registry_views.signal_draft, name="signal-draft-alert"),
    path("reports/", report_views.report_list, name="report-list"),
    path("reports/new/", report_views.report_create, name="report-create"),
    path("reports/import/", report_views.report_import, name="report-import"),
    path("reports/<uuid:pk>/", report_views.report_detail, name="report-detail"),
    path("reports/<uuid:pk>/publish/", report_views.report_publish, name="report-publish"),
    path("reports/<uuid:pk>/delete/", report_views.report_delete, name="report-delete"),
    path("reports/<uuid:pk>/acknowledge/", report_views.report_acknowledge, name="report-acknowledge"),
    path("requests/", inquiry_views.inquiry_list, name="inquiry-list"),
    path("requests/new/", inquiry_views.inquiry_create, name="inquiry-create"),
    path("requests/<uuid:pk>/", inquiry_views.inquiry_detail, name="inquiry-detail"),
    path("requests/<uuid:pk>/answer/", inquiry_views.inquiry_answer, name="inquiry-answer"),
    path("requests/<uuid:pk>/message/", inquiry_views.inquiry_message, name="inquiry-message"),
    path("requests/<uuid:pk>/close/", inquiry_views.inquiry_close, name="inquiry-close"),
]
