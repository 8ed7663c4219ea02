"""Portal pages of the network (mounted at the site root): users and tokens, subscriptions, webhooks."""

from __future__ import annotations

from django.urls import path

from exchange.portal import demo_receiver, endpoint_views, views

app_name = "network"

urlpatterns = [
    path("member/users/", views.user_list, name="user-list"),
    path("member/users/new/", views.user_new, name="user-new"),
    path("member/users/<int:pk>/", views.user_edit, name="user-edit"),
    path("member/tokens/new/", views.token_new, name="token-new"),
    path("member/tokens/<uuid:pk>/revoke/", views.token_revoke_view, name="token-revoke"),
    path("subscriptions/", views.subscription_list, name="subscription-list"),
    path("subscriptions/new/", views.subscription_edit, name="subscription-new"),
    path("subscriptions/<uuid:pk>/", views.subscription_edit, name="subscription-edit"),
    path("subscriptions/<uuid:pk>/delete/", views.subscription_delete, name="subscription-delete"),
    path("webhooks/", endpoint_views.endpoint_list, name="endpoint-list"),
    path("webhooks/new/", endpoint_views.endpoint_new, name="endpoint-new"),
    path("webhooks/<uuid:pk>/", endpoint_views.endpoint_detail, name="endpoint-detail"),
    path("webhooks/<uuid:pk>/secret/", endpoint_views.endpoint_secret, name="endpoint-secret"),
    path("webhooks/<uuid:pk>/rotate-secret/", endpoint_views.endpoint_rotate, name="endpoint-rotate"),
    path("webhooks/<uuid:pk>/test/", endpoint_views.endpoint_test, name="endpoint-test"),
    path("webhooks/<uuid:pk>/delete/", endpoint_views.endpoint_delete, name="endpoint-delete"),
    path("webhooks/<uuid:pk>/recover/", endpoint_views.endpoint_recover, name="endpoint-recover"),
    path("demo/webhook-receiver/", demo_receiver.demo_webhook_receiver, name="demo-receiver"),
    path("webhooks/deliveries/<uuid:pk>/redeliver/", endpoint_views.delivery_redeliver, name="delivery-redeliver"),
]
